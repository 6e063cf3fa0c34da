// The signed-in session: the API key (kept in sessionStorage, so it ends with the tab),
// who it belongs to, and the connections made with it. Signing out or a refusal by the
// server forgets the key and closes the socket.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { SessionRefusedError } from "./errors.ts";
import { postGraphQL, type Variables } from "./http.ts";
import { connectLive, type LiveConnection } from "./live.ts";
import { ME_QUERY, type Me } from "./me.ts";

const STORAGE_KEY = "autoscorer.apiKey";
/** Who the key belonged to when last checked: lets a reload draw the page at once. */
const ME_STORAGE_KEY = "autoscorer.me";
const RECHECK_DELAY_MS = 2000;

export interface Session {
  me: Me;
  request<T>(query: string, variables?: Variables): Promise<T>;
  live: LiveConnection;
  signOut(reason?: string): void;
}

export const storedKey = (): string | null => sessionStorage.getItem(STORAGE_KEY);
export const forgetKey = () => {
  sessionStorage.removeItem(STORAGE_KEY);
  sessionStorage.removeItem(ME_STORAGE_KEY);
};

function storedMe(): Me | null {
  const text = sessionStorage.getItem(ME_STORAGE_KEY);
  if (!text) return null;
  try {
    return JSON.parse(text) as Me;
  } catch {
    return null; // written by another version of the app: ask the server again
  }
}

/** Checks the key with `me`; keeps it only when the server accepts it. */
export async function openSession(
  key: string,
  onEnded: (reason: string) => void,
): Promise<Session> {
  const { me } = await postGraphQL<{ me: Me }>(key, ME_QUERY);
  sessionStorage.setItem(STORAGE_KEY, key);
  sessionStorage.setItem(ME_STORAGE_KEY, JSON.stringify(me));
  return startSession(key, me, onEnded);
}

/**
 * The session kept in this tab, drawn at once from what `me` said last time; the key is
 * checked again in the background, and a refusal ends the session like any other.
 * Display only: the server authorizes every request on its own.
 */
export function resumeSession(onEnded: (reason: string) => void): Session | null {
  const key = storedKey();
  const me = storedMe();
  if (!key || !me) return null;
  const session = startSession(key, me, onEnded);
  // After the page's own first requests, which a refused key fails (and so ends) anyway.
  setTimeout(() => {
    session.request<{ me: Me }>(ME_QUERY).then(
      (fresh) => sessionStorage.setItem(ME_STORAGE_KEY, JSON.stringify(fresh.me)),
      // A refused key has ended the session already (request does that); anything else
      // (the server briefly away) leaves the session as it is, and pages show their errors.
      () => {},
    );
  }, RECHECK_DELAY_MS);
  return session;
}

function startSession(key: string, me: Me, onEnded: (reason: string) => void): Session {
  let ended = false;
  const end = (reason: string) => {
    if (ended) return;
    ended = true;
    forgetKey();
    live.dispose();
    onEnded(reason);
  };
  const live = connectLive(key, (code) =>
    end(
      code === 4401
        ? "The live connection was refused: no API key was sent."
        : "Your API key is no longer accepted (revoked, expired, or the team was suspended). Sign in again.",
    ),
  );
  return {
    me,
    live,
    async request<T>(query: string, variables?: Variables) {
      try {
        return await postGraphQL<T>(key, query, variables);
      } catch (error) {
        if (error instanceof SessionRefusedError) {
          end(`Your API key is no longer accepted: ${error.message}`);
        }
        throw error;
      }
    },
    signOut: (reason = "") => end(reason),
  };
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in page");
  return session;
}
