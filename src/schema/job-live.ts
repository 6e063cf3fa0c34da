// Jobs as they run: state changes, output and CPU/memory, read back (`job.logs`,
// `job.metrics`) or followed live (jobUpdated, tenantJobs, jobLogs, jobMetrics, quotaUsage).
// Each stream carries a cursor: subscribing with `after` replays what was missed first.
import {
  type LogChunk,
  lastLogChunks,
  lastMetricSamples,
  logChunksAfter,
  type MetricSample,
} from "../domain/jobs/job-output.ts";
import type { Job, JobEvent } from "../generated/prisma/client.ts";
import type { JobUpdate } from "../realtime/job-feed.ts";
import {
  followJob,
  followJobLogs,
  followJobMetrics,
  followQuotaUsage,
  followTenantJobs,
  unwrap,
} from "../realtime/subscriptions.ts";
import { builder } from "./builder.ts";
import { JobEventRef, JobRef, QuotaUsageRef } from "./jobs.ts";

const LogStream = builder.enumType("LogStream", {
  values: {
    stdout: { description: "The command's standard output" },
    stderr: { description: "The command's standard error" },
    system: { description: "Notes of the platform: phases of the run, output not streamed" },
  },
});

const LogChunkRef = builder.objectRef<LogChunk>("LogChunk").implement({
  description: "Output lines of one stream that arrived together (a few chunks a second at most)",
  fields: (t) => ({
    cursor: t.exposeString("id", { description: "Pass as `after` to resume after this chunk" }),
    attempt: t.exposeInt("attempt"),
    stream: t.field({ type: LogStream, resolve: (c) => c.stream }),
    text: t.exposeString("text", { description: "Whole lines joined with newlines" }),
    lines: t.exposeInt("lines"),
    at: t.expose("at", { type: "DateTime" }),
    skipped: t.int({
      description: "Chunks this subscriber missed just before this one, being too slow",
      resolve: (c) => c.skipped ?? 0,
    }),
  }),
});

const MetricSampleRef = builder.objectRef<MetricSample>("MetricSample").implement({
  description: "What the job's run used, sampled by its worker (at most one sample a second)",
  fields: (t) => ({
    cursor: t.exposeString("id"),
    attempt: t.exposeInt("attempt"),
    at: t.expose("at", { type: "DateTime" }),
    cpuMillis: t.exposeInt("cpuMillis", { description: "Millicores over the last interval" }),
    memoryBytes: t.exposeFloat("memoryBytes"),
    skipped: t.int({ resolve: (s) => s.skipped ?? 0 }),
  }),
});

const JobUpdateRef = builder.objectRef<JobUpdate>("JobUpdate").implement({
  description: "A job's state changed: the change, and the job as it is now",
  fields: (t) => ({
    cursor: t.exposeString("cursor", {
      description: "Pass as `after` to resume after this update",
    }),
    event: t.field({ type: JobEventRef, resolve: (u) => u.event as unknown as JobEvent }),
    job: t.field({ type: JobRef, resolve: (u) => u.job as unknown as Job }),
  }),
});

builder.objectFields(JobRef, (t) => ({
  logs: t.field({
    type: [LogChunkRef],
    description: "Output chunks, oldest first: the last `last`, or those after `after`",
    args: { after: t.arg.string(), last: t.arg.int({ defaultValue: 50 }) },
    resolve: (job, args, ctx) => {
      const limit = Math.min(Math.max(args.last ?? 50, 1), 500);
      return args.after && /^\d{1,19}$/.test(args.after)
        ? logChunksAfter(ctx.domain.db.pool, job.id, BigInt(args.after), limit)
        : lastLogChunks(ctx.domain.db.pool, job.id, limit);
    },
  }),
  metrics: t.field({
    type: [MetricSampleRef],
    description: "CPU and memory samples, oldest first: the last `last` of them",
    args: { last: t.arg.int({ defaultValue: 120 }) },
    resolve: (job, args, ctx) =>
      lastMetricSamples(ctx.domain.db.pool, job.id, Math.min(Math.max(args.last ?? 120, 1), 3600)),
  }),
}));

builder.subscriptionFields((t) => ({
  jobUpdated: t.field({
    type: JobUpdateRef,
    description: "A job's state changes; without `after`, first its current state",
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ required: true }), after: t.arg.string() },
    subscribe: (_root, args, ctx) =>
      followJob(ctx.domain, ctx.services.live, String(args.id), args.after),
    resolve: (payload) => unwrap(payload),
  }),
  tenantJobs: t.field({
    type: JobUpdateRef,
    description: "Every state change of a tenant's jobs (default: the key's own tenant)",
    authScopes: { authenticated: true },
    args: { tenant: t.arg.string(), after: t.arg.string() },
    subscribe: (_root, args, ctx) =>
      followTenantJobs(ctx.domain, ctx.services.live, args.tenant ?? null, args.after),
    resolve: (payload) => unwrap(payload),
  }),
  jobLogs: t.field({
    type: LogChunkRef,
    description: "A job's output as it is written; without `after`, first its latest chunks",
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ required: true }), after: t.arg.string() },
    subscribe: (_root, args, ctx) =>
      followJobLogs(ctx.domain, ctx.services.live, String(args.id), args.after),
    resolve: (payload) => unwrap(payload),
  }),
  jobMetrics: t.field({
    type: MetricSampleRef,
    description: "A job's CPU and memory samples as they are taken",
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ required: true }), after: t.arg.string() },
    subscribe: (_root, args, ctx) =>
      followJobMetrics(ctx.domain, ctx.services.live, String(args.id), args.after),
    resolve: (payload) => unwrap(payload),
  }),
  quotaUsage: t.field({
    type: QuotaUsageRef,
    description: "A tenant's usage and limits, now and whenever they change",
    authScopes: { authenticated: true },
    args: { tenant: t.arg.string({ description: "Default: the key's own tenant" }) },
    subscribe: (_root, args, ctx) =>
      followQuotaUsage(ctx.domain, ctx.services.live, args.tenant ?? null),
    resolve: (payload) => unwrap(payload),
  }),
}));
