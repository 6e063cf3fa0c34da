// Signing in with an API key. The key is checked with `me` before it is kept; a refused
// key says so plainly, and so does a session that ended (revoked key, suspended team).
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, messageOf, SessionRefusedError } from "../api/errors.ts";
import { openSession, type Session } from "../api/session.ts";

function explain(error: unknown): string {
  if (error instanceof SessionRefusedError) {
    return "This API key was not accepted: it may be mistyped, revoked or expired. Check it and try again.";
  }
  if (error instanceof ApiError && error.code === "TENANT_SUSPENDED") {
    return "This key's team is suspended; ask a platform admin to resume it.";
  }
  return `Signing in failed: ${messageOf(error)}`;
}

export function SignIn(props: {
  notice: string;
  onSignedIn: (session: Session) => void;
  onEnded: (reason: string) => void;
}) {
  const [key, setKey] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  const submit = async (event: Event) => {
    event.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) {
      setError("Enter an API key.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      props.onSignedIn(await openSession(trimmed, props.onEnded));
    } catch (failure) {
      setError(explain(failure));
      setBusy(false);
      input.current?.focus();
    }
  };
  return (
    <main id="main" class="sign-in">
      <h1>AutoScorer</h1>
      <p class="muted">
        Scores machine-learning competition submissions. Sign in with your team's API key.
      </p>
      {props.notice && !error && (
        <p class="status warning" role="status">
          {props.notice}
        </p>
      )}
      <form onSubmit={submit} class="panel" aria-label="Sign in">
        <label for="api-key">API key</label>
        <input
          ref={input}
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={key}
          onInput={(event) => setKey(event.currentTarget.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? "sign-in-error" : "api-key-hint"}
        />
        <p id="api-key-hint" class="hint">
          Kept in this tab only, until you sign out or close it.
        </p>
        {error && (
          <p id="sign-in-error" class="status error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
