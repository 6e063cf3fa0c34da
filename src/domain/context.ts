// What every domain function receives besides its plain input: the database, the caller
// and the request id that ties audit rows and logs together.
import type { Database } from "../db/database.ts";
import type { Boss } from "./jobs/queues.ts";
import type { SubmissionWriter } from "./jobs/submission-writer.ts";
import type { Principal } from "./principal.ts";

export interface DomainContext {
  db: Database;
  actor: Principal | null;
  requestId: string;
  /** Known scorer names, for validating specs; absent where no registry is wired. */
  scorers?: { has(name: string): boolean };
  /** What job submission needs beyond the database; absent in processes that never submit. */
  jobs?: JobSettings;
  /** Injected so tests can move time; defaults to the wall clock. */
  now?: () => Date;
}

export const nowOf = (ctx: Pick<DomainContext, "now">): Date => (ctx.now ? ctx.now() : new Date());

export interface JobSettings {
  boss: Boss;
  /** Tenants' input folders live under here, one per tenant slug. */
  inputRoot: string;
  /** Automatic attempts a job gets (config scheduler.maxAttempts). */
  maxAttempts: number;
  /** Writes checked submissions, batching those that arrive together. */
  submissions: SubmissionWriter;
}
