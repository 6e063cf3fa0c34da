// The app shell: the session gate (sign in, or the key kept in this tab), the header with
// navigation and sign-out, and the page for the address.
import { useEffect, useRef, useState } from "preact/hooks";
import { messageOf, SessionRefusedError } from "./api/errors.ts";
import {
  forgetKey,
  openSession,
  resumeSession,
  type Session,
  SessionContext,
  storedKey,
} from "./api/session.ts";
import { SignIn } from "./pages/sign-in.tsx";
import { Link, useLocation } from "./router.tsx";
import { Routes } from "./routes.tsx";

type Gate =
  | { state: "checking" }
  | { state: "signed-out"; notice: string }
  | { state: "signed-in"; session: Session };

export function App() {
  const ended = (reason: string) => setGate({ state: "signed-out", notice: reason });
  // A reload in a signed-in tab draws the page at once (the key is rechecked meanwhile).
  const [gate, setGate] = useState<Gate>(() => {
    const resumed = resumeSession(ended);
    if (resumed) return { state: "signed-in", session: resumed };
    return storedKey() ? { state: "checking" } : { state: "signed-out", notice: "" };
  });
  const location = useLocation();

  // A key without what `me` said of it (an older tab): check it before drawing anything.
  useEffect(() => {
    const key = storedKey();
    if (!key || gate.state !== "checking") return;
    openSession(key, ended).then(
      (session) => setGate({ state: "signed-in", session }),
      (error: unknown) => {
        forgetKey();
        ended(
          error instanceof SessionRefusedError
            ? "Your saved API key is no longer accepted. Sign in again."
            : `Could not restore your session: ${messageOf(error)}`,
        );
      },
    );
  }, []);

  // Moving to another page puts the keyboard focus on its heading, as a page load would.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.querySelector<HTMLElement>("main h1")?.focus();
  }, [location.path]);

  if (gate.state === "checking") {
    return (
      <main id="main" class="sign-in">
        <p role="status">Signing in…</p>
      </main>
    );
  }
  if (gate.state === "signed-out") {
    return (
      <SignIn
        notice={gate.notice}
        onEnded={ended}
        onSignedIn={(session) => setGate({ state: "signed-in", session })}
      />
    );
  }
  const { session } = gate;
  const { me } = session;
  const section = location.path.split("/")[1] ?? "";
  const current = (name: string) => (section === name ? "page" : undefined);
  return (
    <SessionContext.Provider value={session}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/" class="brand">
          AutoScorer
        </Link>
        <nav aria-label="Main">
          <Link href="/jobs" aria-current={current("jobs")}>
            Jobs
          </Link>
          <Link href="/leaderboard" aria-current={current("leaderboard")}>
            Leaderboards
          </Link>
          {me.isPlatformAdmin && (
            <Link href="/admin" aria-current={current("admin")}>
              Admin
            </Link>
          )}
        </nav>
        <div class="who">
          <span data-testid="who">
            {me.isPlatformAdmin ? "Platform admin" : (me.tenant?.name ?? "")}
            {me.role ? ` · ${me.role.toLowerCase()}` : ""}
          </span>
          <button
            type="button"
            class="secondary"
            onClick={() => session.signOut("You signed out.")}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        <Routes location={location} admin={me.isPlatformAdmin} />
      </main>
    </SessionContext.Provider>
  );
}
