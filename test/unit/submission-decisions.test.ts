// A submission batch's decisions without a database: each submission is decided in arrival
// order against the counts read under the batch's locks plus what the batch accepted before
// it, exactly as one transaction per submission would decide.
import { describe, expect, it } from "vitest";
import type { NormalizedSpec } from "../../src/domain/jobs/spec.ts";
import { countersFor, utcDay } from "../../src/domain/jobs/submission-counters.ts";
import {
  clientKey,
  counterKey,
  decideSubmissions,
  type LockedState,
} from "../../src/domain/jobs/submission-decisions.ts";
import type { TenantQuota } from "../../src/domain/jobs/submission-target.ts";
import type { PreparedSubmission } from "../../src/domain/jobs/submission-types.ts";

const NOW = new Date("2026-12-03T10:00:00Z");
const tenant = (id: string, over: Partial<TenantQuota> = {}): TenantQuota => ({
  id,
  slug: id,
  status: "ACTIVE",
  maxQueuedJobs: 100,
  cpuMillis: 4000,
  memoryMb: 8192,
  gpus: 0,
  submissionsPerDay: 100,
  maxJobSeconds: 3600,
  ...over,
});

const spec = (over: Partial<NormalizedSpec> = {}): NormalizedSpec => ({
  clientJobId: null,
  tenantSlug: null,
  taskType: "classification",
  scorer: "classification_f1",
  scorerParams: null,
  inputUri: "sub",
  timeLimitSec: null,
  cpuMillis: 1000,
  memoryMb: 1024,
  gpus: 0,
  container: null,
  executorPreference: null,
  priority: 0,
  competitionSlug: null,
  phaseSlug: null,
  ...over,
});

const submission = (t: TenantQuota, over: Partial<NormalizedSpec> = {}): PreparedSubmission => ({
  ctx: {
    requestId: "r",
    actor: { userId: "u", apiKeyId: "k", isPlatformAdmin: false, tenantId: t.id, role: "MEMBER" },
  },
  spec: spec(over),
  tenant: t,
  phase: null,
  scorer: over.scorer ?? "classification_f1",
  scorerParams: {},
  inputUri: "file:///in",
  timeLimitSec: 600,
  maxAttempts: 3,
  now: NOW,
});

const countersOf = (batch: PreparedSubmission[]) =>
  batch.map((s) =>
    countersFor({ tenantId: s.tenant.id, phaseId: null }, utcDay(s.now), {
      tenantPerDay: s.tenant.submissionsPerDay,
      phasePerDay: null,
      phaseTotal: null,
    }),
  );

const empty: LockedState = { counts: new Map(), waiting: new Map(), taken: new Map() };
let ids = 0;
const newId = () => `job-${++ids}`;

describe("decideSubmissions", () => {
  it("accepts exactly as many as the daily limit leaves, in arrival order", () => {
    const t = tenant("t1", { submissionsPerDay: 5 });
    const batch = Array.from({ length: 8 }, () => submission(t));
    const counters = countersOf(batch);
    const key = counterKey(counters[0]?.[0] as { scope: string; day: string });
    const state = { ...empty, counts: new Map([[key, 2]]) };
    const { decisions, accepted, charged } = decideSubmissions(batch, counters, state, newId);
    expect(decisions.map((d) => ("jobId" in d ? "ok" : d.error.code))).toEqual([
      "ok",
      "ok",
      "ok",
      "DAILY_LIMIT_REACHED",
      "DAILY_LIMIT_REACHED",
      "DAILY_LIMIT_REACHED",
      "DAILY_LIMIT_REACHED",
      "DAILY_LIMIT_REACHED",
    ]);
    expect(accepted).toHaveLength(3);
    expect(charged).toHaveLength(3);
  });

  it("holds each tenant to its own waiting-line quota without touching the others", () => {
    const small = tenant("small", { maxQueuedJobs: 1 });
    const big = tenant("big");
    const batch = [submission(small), submission(big), submission(small), submission(big)];
    const { decisions } = decideSubmissions(batch, countersOf(batch), empty, newId);
    expect(decisions.map((d) => ("jobId" in d ? "ok" : d.error.code))).toEqual([
      "ok",
      "ok",
      "QUOTA_EXCEEDED",
      "ok",
    ]);
  });

  it("answers a repeated client jobId with the job it created, also within one batch", () => {
    const t = tenant("t1");
    const batch = [
      submission(t, { clientJobId: "run-1" }),
      submission(t, { clientJobId: "run-1" }),
      submission(t, { clientJobId: "run-1", priority: 5 }),
    ];
    const { decisions, accepted } = decideSubmissions(batch, countersOf(batch), empty, newId);
    const first = decisions[0] as { jobId: string };
    expect(decisions[1]).toEqual({ jobId: first.jobId });
    expect(decisions[2]).toMatchObject({ error: { code: "VALIDATION_FAILED" } });
    expect(accepted).toHaveLength(1);
  });

  it("answers a jobId stored by an earlier batch with that job, charging nothing", () => {
    const t = tenant("t1", { submissionsPerDay: 0 });
    const s = submission(t, { clientJobId: "run-9" });
    const identity = JSON.stringify(["classification", "classification_f1", 0, 1000, 1024, 0]);
    const state: LockedState = {
      ...empty,
      taken: new Map([[clientKey("t1", "run-9") as string, { id: "stored", identity }]]),
    };
    const result = decideSubmissions([s], countersOf([s]), state, newId);
    expect(result.decisions).toEqual([{ jobId: "stored" }]);
    expect(result.charged).toEqual([]);
  });
});
