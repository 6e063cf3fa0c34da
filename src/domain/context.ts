// What every domain function receives besides its plain input: the database, the caller,
// the request id that ties audit rows and logs together, and the clock. Anything else a
// function needs (the submission batcher, the scorer registry, pg-boss) is its own
// parameter, so a caller that lacks it fails to compile rather than at run time.
import type { Database } from "../db/database.ts";
import type { Principal } from "./principal.ts";

export interface DomainContext {
  db: Database;
  actor: Principal | null;
  requestId: string;
  /** Injected so tests can move time; defaults to the wall clock. */
  now?: () => Date;
}

export const nowOf = (ctx: Pick<DomainContext, "now">): Date => (ctx.now ? ctx.now() : new Date());
