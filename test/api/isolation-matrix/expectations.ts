// What each caller gets from each root field, in the order of CALLERS: admin, alpha's
// owner, member and viewer, beta's owner (another tenant), gamma's owner (a suspended
// tenant, naming its own objects), a revoked key, no key. "ok" is an answer with data;
// anything else is the error code the caller gets.
//
// Over HTTP a revoked key and no key are both UNAUTHENTICATED (401). Over the WebSocket a
// missing key closes the socket with 4401 (UNAUTHENTICATED), and a key that does not hold
// for live work, revoked or of a suspended tenant, with 4403 (FORBIDDEN).
import { CALLERS, type Caller } from "./world.ts";

export type Expected = Record<Caller, string>;

function parse(line: string, tail: string): Expected {
  const codes = `${line} ${tail}`.trim().split(/\s+/);
  if (codes.length !== CALLERS.length) throw new Error(`expected ${CALLERS.length} codes: ${line}`);
  return Object.fromEntries(CALLERS.map((caller, i) => [caller, codes[i]])) as Expected;
}

const http = (line: string) => parse(line, "UNAUTHENTICATED UNAUTHENTICATED");
const live = (line: string) => parse(line, "FORBIDDEN FORBIDDEN UNAUTHENTICATED");

//                         admin   owner   member     viewer     other      suspended
export const QUERY_EXPECTATIONS: Record<string, Expected> = {
  auditLogs: http("         ok      ok      FORBIDDEN  FORBIDDEN  NOT_FOUND  ok"),
  competition: http("       ok      ok      ok         ok         ok         ok"),
  competitions: http("      ok      ok      ok         ok         ok         ok"),
  executors: http("         ok      ok      ok         ok         ok         ok"),
  job: http("               ok      ok      ok         ok         NOT_FOUND  ok"),
  jobs: http("              ok      ok      ok         ok         NOT_FOUND  ok"),
  leaderboard: http("       ok      ok      ok         ok         ok         ok"),
  me: http("                ok      ok      ok         ok         ok         ok"),
  queue: http("             ok      FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN  FORBIDDEN"),
  quotaUsage: http("        ok      ok      ok         ok         NOT_FOUND  ok"),
  scorers: http("           ok      ok      ok         ok         ok         ok"),
  tenant: http("            ok      ok      ok         ok         NOT_FOUND  ok"),
  tenants: http("           ok      ok      ok         ok         ok         ok"),
  webhooks: http("          ok      ok      FORBIDDEN  FORBIDDEN  NOT_FOUND  ok"),
};

// The job named is SUCCEEDED: INVALID_STATE for cancel and retry means the caller was
// allowed to act on it. The phase named is public: INVALID_STATE for revealPhase likewise.
export const MUTATION_EXPECTATIONS: Record<string, Expected> = {
  cancelJob: http(
    "         INVALID_STATE INVALID_STATE INVALID_STATE FORBIDDEN NOT_FOUND INVALID_STATE",
  ),
  createApiKey: http("      ok      ok      FORBIDDEN  FORBIDDEN  NOT_FOUND  TENANT_SUSPENDED"),
  createCompetition: http(" ok      FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN  FORBIDDEN"),
  createTenant: http("      ok      FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN  FORBIDDEN"),
  createWebhook: http("     ok      ok      FORBIDDEN  FORBIDDEN  NOT_FOUND  ok"),
  deleteWebhook: http("     ok      ok      FORBIDDEN  FORBIDDEN  NOT_FOUND  ok"),
  drainExecutor: http("     ok      FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN  FORBIDDEN"),
  reloadScorers: http("     ok      FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN  FORBIDDEN"),
  resumeExecutor: http("    ok      FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN  FORBIDDEN"),
  // Alpha is active (INVALID_STATE for the admin); gamma's own owner may not lift its suspension.
  resumeTenant: http("      INVALID_STATE FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN"),
  retryJob: http(
    "          INVALID_STATE INVALID_STATE INVALID_STATE FORBIDDEN NOT_FOUND TENANT_SUSPENDED",
  ),
  revealPhase: http("       INVALID_STATE FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN"),
  revokeApiKey: http("      ok      ok      FORBIDDEN  FORBIDDEN  NOT_FOUND  ok"),
  setQuota: http("          ok      FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN  FORBIDDEN"),
  submitJob: http("         ok      ok      ok         FORBIDDEN  NOT_FOUND  TENANT_SUSPENDED"),
  suspendTenant: http("     ok      FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN  FORBIDDEN"),
  updateCompetition: http(" ok      FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN  FORBIDDEN"),
  updateTenant: http("      ok      FORBIDDEN FORBIDDEN FORBIDDEN FORBIDDEN  FORBIDDEN"),
  updateWebhook: http("     ok      ok      FORBIDDEN  FORBIDDEN  NOT_FOUND  ok"),
};

// A suspended tenant's key holds no live subscription (4403 at connect), though it may
// still read its own data over HTTP.
export const SUBSCRIPTION_EXPECTATIONS: Record<string, Expected> = {
  executorLoad: live("      ok      ok      ok         ok         ok"),
  jobLogs: live("           ok      ok      ok         ok         NOT_FOUND"),
  jobMetrics: live("        ok      ok      ok         ok         NOT_FOUND"),
  jobUpdated: live("        ok      ok      ok         ok         NOT_FOUND"),
  leaderboardUpdated: live("ok      ok      ok         ok         ok"),
  quotaUsage: live("        ok      ok      ok         ok         NOT_FOUND"),
  tenantJobs: live("        ok      ok      ok         ok         NOT_FOUND"),
};

/** Callers entitled to alpha's data: its markers may appear in what they receive. */
export const ENTITLED: ReadonlySet<Caller> = new Set(["admin", "owner", "member", "viewer"]);
