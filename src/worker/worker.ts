// The worker process of one executor node. It registers the node with the capacity its
// executor reports, takes the jobs the scheduler sends to the node's queue, moves each to
// RUNNING under a lease, runs it (runAttempt), and reports the outcome fenced on the
// attempt. It heartbeats the node (health and capacity, fresh from the executor) and
// renews its leases; it stops a run when the job's time is up, when its owner cancels it,
// or when it learns another attempt owns the job. After a crash, the next worker of the
// node takes over the runs that survived (adopt) and removes what nobody wants (sweep).
// Outcomes are written with retries, so a Postgres restart mid-run delays a report
// instead of losing it.
import type pg from "pg";
import type { PgBoss } from "pg-boss";
import type { Subscriber } from "../db/pubsub.ts";
import { inTransaction } from "../db/sql.ts";
import { CANCEL_TOPIC, type CancelRequest } from "../domain/jobs/cancel.ts";
import { failAttempts } from "../domain/jobs/finish.ts";
import { resolveInputDir } from "../domain/jobs/input-location.ts";
import type { JobRow } from "../domain/jobs/job-row.ts";
import { type DispatchPayload, nodeQueue } from "../domain/jobs/queues.ts";
import { createResultCache } from "../domain/jobs/result-cache.ts";
import type { BackoffSettings } from "../domain/jobs/retry-policy.ts";
import { startAttempts } from "../domain/jobs/start.ts";
import {
  announceNode,
  type BreakerSettings,
  heartbeatNode,
  recordNodeSuccess,
  registerNode,
} from "../domain/nodes/nodes.ts";
import type { Executor, RunHandle } from "../executors/types.ts";
import type { Logger } from "../log.ts";
import type { Result, ScorerLookup } from "../scorers/index.ts";
import { startForeignSweep } from "./foreign-runs.ts";
import { startFsThread } from "./fs-thread.ts";
import { renewLeases } from "./leases.ts";
import { createOutcomeReporter } from "./outcomes.ts";
import { sweepWorkspaces } from "./retention.ts";
import {
  type AttemptOutcome,
  type RunObserver,
  runAttempt,
  type StopReason,
} from "./run-attempt.ts";
import {
  attemptWorkspace,
  type ContainerSpec,
  prepareWorkspace,
  runRequestFor,
  writeResultOn,
} from "./workspace.ts";

export interface WorkerSettings {
  /** The node's name; a restarted worker with the same name takes its node back. */
  name: string;
  leaseMs: number;
  /** Node heartbeat and lease renewal period; a third of the lease or less. */
  heartbeatMs: number;
  workspaceRoot: string;
  inputRoot: string;
  backoff: BackoffSettings;
  breaker: BreakerSettings;
  /** Dispatch messages fetched at once. */
  batchSize: number;
  /** On stop, how long running jobs may finish before they are handed back. */
  shutdownGraceMs: number;
  /** Workspaces older than this are removed (their Results stay in Postgres). */
  workspaceRetentionMs: number;
  /**
   * Time a run may spend before its time limit starts (pulling an image, creating a
   * container or pod): the worker's backstop is the time limit plus this.
   */
  prepareAllowanceMs: number;
}

export interface WorkerDeps {
  pool: pg.Pool;
  boss: PgBoss;
  events: Subscriber;
  executor: Executor;
  scorers: ScorerLookup;
  settings: WorkerSettings;
  log: Logger;
  /** Live log lines, usage samples and phases of every run (subscriptions, job metrics). */
  observer: RunObserver;
  /** Reuse stored Results for identical inputs (config scorers.resultCache). */
  resultCache: boolean;
}

export interface Worker {
  nodeId: string;
  /** Attempts running now. */
  running(): number;
  stop(): Promise<void>;
}

interface Run {
  attempt: number;
  controller: AbortController;
  done: Promise<void>;
}

export async function startWorker(deps: WorkerDeps): Promise<Worker> {
  const { settings, executor, log } = deps;
  // Three missed heartbeats, and the node counts as down.
  const aliveForMs = settings.heartbeatMs * 3;
  const health = await executor.health();
  const node = await inTransaction(deps.pool, (tx) =>
    registerNode(tx, {
      aliveForMs,
      name: settings.name,
      kind: executor.kind,
      capacity: health.capacity,
      healthy: health.healthy,
    }),
  );
  const queue = nodeQueue(node.id);
  // Delivery is ours to guarantee (leases, attempts): pg-boss must never redeliver by itself.
  await deps.boss.createQueue(queue, { notify: true, retryLimit: 0, expireInSeconds: 3600 });

  const runs = new Map<string, Run>();
  const slugs = new Map<string, string>();
  let stopping = false;

  const unsubscribe = deps.events.on(CANCEL_TOPIC, undefined, (event) => {
    const request = event.data as CancelRequest;
    const run = runs.get(request.jobId);
    if (run && run.attempt === request.attempt)
      run.controller.abort("CANCELLED" satisfies StopReason);
  });

  // A success closes the node's breaker; written once per heartbeat, not once per job.
  let succeededSinceBeat = true;
  // What live load views last heard of this node: they hear again only when it changes.
  let announced = "";
  const heartbeat = async () => {
    try {
      const now = await executor.health();
      const reported = { healthy: now.healthy && !stopping, capacity: now.capacity };
      await heartbeatNode(deps.pool, node.id, reported, aliveForMs);
      if (JSON.stringify(reported) !== announced) {
        announced = JSON.stringify(reported);
        await announceNode(deps.pool, node.id);
      }
      if (succeededSinceBeat) {
        succeededSinceBeat = false;
        await recordNodeSuccess(deps.pool, node.id);
      }
      const attempts = [...runs].map(([jobId, run]) => ({ jobId, attempt: run.attempt }));
      const { held } = await renewLeases(deps.pool, attempts, settings.leaseMs);
      // Judge only the attempts this renewal asked about: runs launched while it was in
      // flight were not in it, and are not lost.
      for (const { jobId, attempt } of attempts) {
        const run = runs.get(jobId);
        if (!run || run.attempt !== attempt) continue;
        if (!held.has(jobId)) run.controller.abort("LOST" satisfies StopReason);
        else if (held.get(jobId)) run.controller.abort("CANCELLED" satisfies StopReason);
      }
    } catch (error) {
      log.warn({ err: error }, "worker heartbeat failed");
    }
  };
  const heartbeatTimer = setInterval(heartbeat, settings.heartbeatMs);
  heartbeatTimer.unref();
  const sweep = () =>
    sweepWorkspaces(
      settings.workspaceRoot,
      settings.workspaceRetentionMs,
      new Set(runs.keys()),
    ).catch((error: unknown) => log.warn({ err: error }, "workspace sweep failed"));
  const sweepTimer = setInterval(sweep, Math.min(3_600_000, settings.workspaceRetentionMs / 4));
  sweepTimer.unref();

  const tenantSlug = async (tenantId: string): Promise<string> => {
    const known = slugs.get(tenantId);
    if (known) return known;
    const { rows } = await deps.pool.query<{ slug: string }>(
      `SELECT slug FROM "Tenant" WHERE id = $1`,
      [tenantId],
    );
    // Never an empty slug: that would confine the input to the whole input root.
    const slug = rows[0]?.slug;
    if (!slug) throw new Error("the job's tenant no longer exists");
    slugs.set(tenantId, slug);
    return slug;
  };

  const inputDirOf = async (job: JobRow): Promise<string> =>
    // Checked again here: the folder may have changed since submission.
    resolveInputDir(settings.inputRoot, await tenantSlug(job.tenantId), job.inputUri);

  // Workspaces are set up and Results written off the event loop, one request each.
  const fsThread = startFsThread();
  // Results of identical inputs come from the cache: one lookup for attempts scored together.
  const scoring = {
    scorers: deps.scorers,
    cache: deps.resultCache ? createResultCache(deps.pool) : null,
    log,
    writeResult: (workspace: string, result: Result) => writeResultOn(fsThread, workspace, result),
  };

  const execute = async (
    job: JobRow,
    controller: AbortController,
    adopted?: RunHandle,
  ): Promise<AttemptOutcome> => {
    // The backstop: executors enforce the time limit from the moment the command runs.
    const timer = setTimeout(
      () => controller.abort("TIME_LIMIT_EXCEEDED" satisfies StopReason),
      job.timeLimitSec * 1000 + settings.prepareAllowanceMs,
    );
    try {
      let inputDir: string;
      try {
        inputDir = await inputDirOf(job);
      } catch (error) {
        return {
          ok: false,
          code: "MISSING_FILE",
          message: `input ${job.inputUri}: ${(error as Error).message}`,
        };
      }
      const workspace = adopted
        ? attemptWorkspace(settings.workspaceRoot, job.id, job.attempt)
        : await prepareWorkspace(fsThread, settings.workspaceRoot, job, inputDir);
      try {
        return await runAttempt(
          {
            executor,
            scoring,
            observer: deps.observer,
          },
          { job, workspace, inputDir, signal: controller.signal, adopted },
        );
      } finally {
        // The job's output is complete before anyone hears that it ended.
        await deps.observer.finish(job);
      }
    } catch (error) {
      return {
        ok: false,
        code: "EXECUTOR_UNAVAILABLE",
        message: `the worker could not run the job: ${(error as Error).message}`,
      };
    } finally {
      clearTimeout(timer);
    }
  };

  const report = createOutcomeReporter({
    pool: deps.pool,
    nodeId: node.id,
    leaseMs: settings.leaseMs,
    backoff: settings.backoff,
    breaker: settings.breaker,
    log,
    onNodeWorked: () => {
      succeededSinceBeat = true;
    },
  });

  const launch = (job: JobRow, adopted?: RunHandle) => {
    const controller = new AbortController();
    const run: Run = { attempt: job.attempt, controller, done: Promise.resolve() };
    runs.set(job.id, run);
    run.done = execute(job, controller, adopted)
      .then((outcome) => report(job, outcome))
      .catch((error: unknown) =>
        log.error(
          { err: error, jobId: job.id, tenantId: job.tenantId, attempt: job.attempt },
          "a job report failed for good; its lease will expire",
        ),
      )
      .finally(() => runs.delete(job.id));
  };

  await recoverRuns(deps, node.id, launch, inputDirOf);
  // Other nodes' leftovers: looked at every few heartbeats (30 s by default), and once now.
  const foreign = startForeignSweep(deps, settings.heartbeatMs * 6);
  void foreign.sweepNow();

  const begin = async (payloads: DispatchPayload[]) => {
    const fresh = payloads.filter((p) => !runs.has(p.jobId));
    if (stopping || fresh.length === 0) return;
    // Attempts cancelled or re-placed since they were queued are simply not started.
    const started = await startAttempts(deps.pool, fresh, settings.leaseMs);
    for (const job of started) launch(job);
  };

  const workId = await deps.boss.work<DispatchPayload>(
    queue,
    {
      batchSize: settings.batchSize,
      burstWhenBatchFull: true,
      pollingIntervalSeconds: 1,
      notifyPollingIntervalSeconds: 2,
    },
    async (messages) => begin(messages.map((message) => message.data)),
  );
  await heartbeat();

  return {
    nodeId: node.id,
    running: () => runs.size,
    stop: async () => {
      stopping = true;
      await deps.boss.offWork(queue, { id: workId });
      const all = () => Promise.all([...runs.values()].map((run) => run.done));
      const grace = new Promise((resolve) => setTimeout(resolve, settings.shutdownGraceMs).unref());
      await Promise.race([all(), grace]);
      for (const run of runs.values()) run.controller.abort("SHUTDOWN" satisfies StopReason);
      await all();
      clearInterval(heartbeatTimer);
      clearInterval(sweepTimer);
      await foreign.stop();
      await fsThread.close();
      unsubscribe();
      const last = await executor.health();
      await heartbeatNode(
        deps.pool,
        node.id,
        { healthy: false, capacity: last.capacity },
        aliveForMs,
      ).catch((error: unknown) => log.warn({ err: error }, "could not mark the node down"));
      await executor.close();
    },
  };
}

/**
 * After a crash or restart: the attempts this node was running. A run that outlived its
 * worker is adopted and followed to its end; a job with no inference stage is scored again
 * (scoring is deterministic and idempotent); anything else is handed back to wait for
 * another attempt. Then whatever runs of this node nobody took over are removed.
 */
async function recoverRuns(
  deps: WorkerDeps,
  nodeId: string,
  launch: (job: JobRow, adopted?: RunHandle) => void,
  inputDirOf: (job: JobRow) => Promise<string>,
): Promise<void> {
  const { rows } = await deps.pool.query<JobRow>(
    `SELECT * FROM "Job" WHERE "executorNodeId" = $1 AND state = 'RUNNING'`,
    [nodeId],
  );
  const kept = new Set<string>();
  const lost: JobRow[] = [];
  for (const job of rows) {
    const container = job.container as ContainerSpec | null;
    if (!container) {
      kept.add(`${job.id}:${job.attempt}`);
      launch(job);
      continue;
    }
    const workspace = attemptWorkspace(deps.settings.workspaceRoot, job.id, job.attempt);
    const handle = await inputDirOf(job)
      .then((inputDir) => deps.executor.adopt(runRequestFor(job, container, workspace, inputDir)))
      .catch((error: unknown) => {
        deps.log.warn(
          { err: error, jobId: job.id, tenantId: job.tenantId, attempt: job.attempt },
          "could not adopt a run",
        );
        return null;
      });
    if (handle) {
      kept.add(`${job.id}:${job.attempt}`);
      deps.log.info(
        { jobId: job.id, tenantId: job.tenantId, attempt: job.attempt },
        "adopted a run that outlived its worker",
      );
      launch(job, handle);
    } else lost.push(job);
  }
  if (lost.length > 0) {
    // Their state events, sent after commit, wake the scheduler.
    await inTransaction(deps.pool, (tx) =>
      failAttempts(
        tx,
        lost.map((job) => ({
          jobId: job.id,
          attempt: job.attempt,
          code: "EXECUTOR_UNAVAILABLE",
          message: "the worker restarted during the run",
        })),
        deps.settings.backoff,
      ),
    );
  }
  const removed = await deps.executor.sweep((jobId, attempt) => kept.has(`${jobId}:${attempt}`));
  if (removed > 0) deps.log.info({ removed }, "removed runs nobody owns any more");
}
