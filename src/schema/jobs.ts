// Jobs: submit, cancel, retry, read, and the quota a tenant has left.
import type { KeysetPage } from "../db/keyset-page.ts";
import { DailyLimitReachedError, QuotaExceededError } from "../domain/errors.ts";
import { cancelJob } from "../domain/jobs/cancel.ts";
import type { JobRow } from "../domain/jobs/job-row.ts";
import { getJob, listJobs } from "../domain/jobs/queries.ts";
import { type PhaseUsage, type QuotaUsage, quotaUsage } from "../domain/jobs/quota-usage.ts";
import { formatCpu, formatMemory } from "../domain/jobs/resources.ts";
import { retryJob } from "../domain/jobs/retry.ts";
import { submitJob } from "../domain/jobs/submit.ts";
import type { Job } from "../generated/prisma/client.ts";
import { builder } from "./builder.ts";
import { keysetConnection } from "./connections.ts";
import { ExecutorKind, JobState } from "./enums.ts";

/** Rows from the SQL paths carry every Job column; Prisma types JSON columns differently. */
const asJob = (row: JobRow): Job => row as unknown as Job;

const JobResources = builder
  .objectRef<Pick<Job, "cpuMillis" | "memoryMb" | "gpus">>("JobResources")
  .implement({
    fields: (t) => ({
      cpu: t.string({
        description: 'Cores, e.g. "2" or "500m"',
        resolve: (r) => formatCpu(r.cpuMillis),
      }),
      memory: t.string({
        description: 'e.g. "512Mi", "4Gi"',
        resolve: (r) => formatMemory(r.memoryMb),
      }),
      cpuMillis: t.exposeInt("cpuMillis"),
      memoryMb: t.exposeInt("memoryMb"),
      gpus: t.exposeInt("gpus"),
    }),
  });

export const JobEventRef = builder.prismaObject("JobEvent", {
  description: "One state change of a job, in order",
  fields: (t) => ({
    id: t.string({ resolve: (e) => e.id.toString() }),
    attempt: t.exposeInt("attempt"),
    fromState: t.expose("fromState", { type: JobState, nullable: true }),
    toState: t.expose("toState", { type: JobState }),
    errorCode: t.exposeString("errorCode", { nullable: true }),
    message: t.exposeString("message", { nullable: true }),
    at: t.expose("at", { type: "DateTime" }),
  }),
});

builder.prismaObject("Result", {
  description: "The scorer's Result (docs/contract.md) of a job's successful attempt",
  fields: (t) => ({
    attempt: t.exposeInt("attempt"),
    cached: t.exposeBoolean("cached", {
      description: "Reused from an earlier scoring of the same inputs, scorer and params",
    }),
    score: t.exposeFloat("score", { nullable: true }),
    summary: t.expose("summary", { type: "JSON" }),
    metrics: t.expose("metrics", { type: "JSON" }),
    artifacts: t.expose("artifacts", { type: "JSON" }),
    timing: t.expose("timing", { type: "JSON" }),
    versioning: t.expose("versioning", { type: "JSON" }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

export const JobRef = builder.prismaObject("Job", {
  fields: (t) => ({
    id: t.exposeID("id"),
    jobId: t.exposeString("clientJobId", {
      nullable: true,
      description: "The client's idempotency key, if it sent one",
    }),
    tenant: t.relation("tenant"),
    state: t.expose("state", { type: JobState }),
    taskType: t.exposeString("taskType"),
    scorer: t.exposeString("scorer"),
    scorerParams: t.expose("scorerParams", { type: "JSON" }),
    inputUri: t.exposeString("inputUri"),
    timeLimit: t.exposeInt("timeLimitSec", { description: "Seconds" }),
    resources: t.field({ type: JobResources, resolve: (job) => job }),
    container: t.expose("container", { type: "JSON", nullable: true }),
    executorPreference: t.expose("executorPreference", { type: ExecutorKind, nullable: true }),
    backend: t.expose("backend", { type: ExecutorKind, nullable: true }),
    executorNodeId: t.exposeID("executorNodeId", { nullable: true }),
    priority: t.exposeInt("priority"),
    competition: t.relation("competition", { nullable: true }),
    phase: t.relation("phase", { nullable: true }),
    attempt: t.exposeInt("attempt"),
    maxAttempts: t.exposeInt("maxAttempts"),
    errorCode: t.exposeString("errorCode", { nullable: true }),
    errorMessage: t.exposeString("errorMessage", { nullable: true }),
    cancelRequested: t.exposeBoolean("cancelRequested"),
    submittedAt: t.expose("submittedAt", { type: "DateTime" }),
    queuedAt: t.expose("queuedAt", { type: "DateTime", nullable: true }),
    startedAt: t.expose("startedAt", { type: "DateTime", nullable: true }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
    notBefore: t.expose("notBefore", {
      type: "DateTime",
      nullable: true,
      description: "A retried job waits until then (backoff)",
    }),
    events: t.relation("events", { query: { orderBy: { id: "asc" } } }),
    result: t.relation("result", { nullable: true }),
  }),
});

const ResourcesInput = builder.inputType("ResourcesInput", {
  fields: (t) => ({
    cpu: t.string({ description: 'Cores: "2", "0.5" or "500m" (default 1)' }),
    memory: t.string({ description: '"512Mi", "4Gi" … (default 1Gi)' }),
    gpus: t.int(),
  }),
});

const ContainerInput = builder.inputType("ContainerInput", {
  description: "An optional inference stage run before scoring",
  fields: (t) => ({
    image: t.string({ required: true }),
    cmd: t.stringList({ required: true }),
    env: t.field({ type: "JSON", description: "Object of string values" }),
  }),
});

const JobSpecInput = builder.inputType("JobSpecInput", {
  fields: (t) => ({
    jobId: t.string({ description: "Client idempotency key, unique per tenant" }),
    tenant: t.string({ description: "Tenant slug; required for admin keys only" }),
    taskType: t.string({ required: true }),
    scorer: t.string({ description: "Required outside a competition" }),
    scorerParams: t.field({ type: "JSON" }),
    inputUri: t.string({
      required: true,
      description: "A directory in the tenant's input folder (path or file:// URI)",
    }),
    timeLimit: t.int({ description: "Seconds" }),
    resources: t.field({ type: ResourcesInput }),
    container: t.field({ type: ContainerInput }),
    executor: t.field({ type: ExecutorKind, description: "Preferred backend" }),
    priority: t.int({ description: "-100..100, higher first within a tenant's fair share" }),
    competition: t.string(),
    phase: t.string({ description: "Default: the competition's phase open now" }),
  }),
});

const JobFilter = builder.inputType("JobFilter", {
  fields: (t) => ({
    tenant: t.string(),
    states: t.field({ type: [JobState] }),
    competition: t.string(),
    submittedAfter: t.field({ type: "DateTime" }),
    submittedBefore: t.field({ type: "DateTime" }),
  }),
});

const PhaseUsageRef = builder.objectRef<PhaseUsage>("PhaseUsage").implement({
  fields: (t) => ({
    competition: t.exposeString("competition"),
    phase: t.exposeString("phase"),
    countedStates: t.field({ type: [JobState], resolve: (u) => [...u.countedStates] }),
    dailyLimit: t.exposeInt("dailyLimit", { nullable: true }),
    usedToday: t.exposeInt("usedToday"),
    remainingToday: t.exposeInt("remainingToday", { nullable: true }),
    totalLimit: t.exposeInt("totalLimit", { nullable: true }),
    usedTotal: t.exposeInt("usedTotal"),
    remainingTotal: t.exposeInt("remainingTotal", { nullable: true }),
    resetsAt: t.expose("resetsAt", { type: "DateTime" }),
  }),
});

export const QuotaUsageRef = builder.objectRef<QuotaUsage>("QuotaUsage").implement({
  description: "What a tenant has used and has left; CPU in millicores, memory in MiB",
  fields: (t) => ({
    tenant: t.exposeString("tenant"),
    submissionsPerDay: t.exposeInt("submissionsPerDay"),
    submissionsToday: t.exposeInt("submissionsToday"),
    remainingToday: t.exposeInt("remainingToday"),
    resetsAt: t.expose("resetsAt", { type: "DateTime", description: "Next UTC midnight" }),
    waitingJobs: t.exposeInt("waitingJobs", {
      description: "PENDING: waiting for admission (what maxQueuedJobs limits)",
    }),
    maxQueuedJobs: t.exposeInt("maxQueuedJobs"),
    runningJobs: t.exposeInt("runningJobs", {
      description: "QUEUED or RUNNING (holding capacity)",
    }),
    maxConcurrentJobs: t.exposeInt("maxConcurrentJobs"),
    cpuMillisInUse: t.exposeInt("cpuMillisInUse"),
    cpuMillis: t.exposeInt("cpuMillis"),
    memoryMbInUse: t.exposeInt("memoryMbInUse"),
    memoryMb: t.exposeInt("memoryMb"),
    gpusInUse: t.exposeInt("gpusInUse"),
    gpus: t.exposeInt("gpus"),
    maxJobSeconds: t.exposeInt("maxJobSeconds"),
    countedStates: t.field({
      type: [JobState],
      description: "States that count toward the tenant's daily limit outside competitions",
      resolve: (u) => [...u.countedStates],
    }),
    phase: t.field({ type: PhaseUsageRef, nullable: true, resolve: (u) => u.phase }),
  }),
});

builder.queryFields((t) => ({
  jobs: t.connection({
    type: JobRef,
    description: "Newest first: your tenant's jobs, or any tenant's for platform admins",
    authScopes: { authenticated: true },
    args: { filter: t.arg({ type: JobFilter }) },
    resolve: (_root, args, ctx) =>
      keysetConnection(
        args,
        (page: KeysetPage<string>) => listJobs(ctx.domain, args.filter ?? {}, page),
        (job) => job.id,
      ),
  }),
  job: t.prismaField({
    type: "Job",
    authScopes: { authenticated: true },
    errors: {},
    args: { id: t.arg.id({ required: true }) },
    resolve: (_query, _root, args, ctx) => getJob(ctx.domain, String(args.id)),
  }),
  quotaUsage: t.field({
    type: QuotaUsageRef,
    authScopes: { authenticated: true },
    errors: {},
    args: {
      tenant: t.arg.string({ description: "Default: the key's own tenant" }),
      competition: t.arg.string(),
      phase: t.arg.string(),
    },
    resolve: (_root, args, ctx) =>
      quotaUsage(
        ctx.domain,
        args.tenant ?? null,
        args.competition ? { slug: args.competition, phase: args.phase ?? null } : null,
      ),
  }),
}));

builder.mutationFields((t) => ({
  submitJob: t.field({
    type: JobRef,
    authScopes: { authenticated: true },
    errors: { types: [DailyLimitReachedError, QuotaExceededError] },
    args: { input: t.arg({ type: JobSpecInput, required: true }) },
    resolve: async (_root, { input }, ctx) =>
      asJob(await submitJob(ctx.domain, ctx.services.submissions, input)),
  }),
  cancelJob: t.field({
    type: JobRef,
    authScopes: { authenticated: true },
    errors: {},
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => asJob(await cancelJob(ctx.domain, String(args.id))),
  }),
  retryJob: t.field({
    type: JobRef,
    authScopes: { authenticated: true },
    errors: { types: [DailyLimitReachedError, QuotaExceededError] },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) =>
      asJob(await retryJob(ctx.domain, ctx.services.retry, String(args.id))),
  }),
}));
