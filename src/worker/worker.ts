// The worker process of one executor node. It registers the node, takes the jobs the
// scheduler sends to the node's queue, moves each to RUNNING under a lease, runs it
// (runAttempt), and reports the outcome fenced on the attempt. It heartbeats the node and
// renews its leases; it stops a run when the job's time is up, when its owner cancels it,
// or when it learns another attempt owns the job. Outcomes are written with retries, so a
// Postgres restart mid-run delays a report instead of losing it.
import type pg from "pg";
import type { PgBoss } from "pg-boss";
import type { Subscriber } from "../db/pubsub.ts";
import { inTransaction } from "../db/sql.ts";
import {
  type BreakerSettings,
  heartbeatNode,
  recordNodeSuccess,
  registerNode,
} from "../domain/executors/nodes.ts";
import { CANCEL_TOPIC, type CancelRequest } from "../domain/jobs/cancel.ts";
import { failAttempt } from "../domain/jobs/finish.ts";
import { resolveInputDir } from "../domain/jobs/input-location.ts";
import type { JobRow } from "../domain/jobs/job-row.ts";
import { type DispatchPayload, nodeQueue, wakeScheduler } from "../domain/jobs/queues.ts";
import type { BackoffSettings } from "../domain/jobs/retry-policy.ts";
import { startAttempts } from "../domain/jobs/start.ts";
import type { Executor } from "../executors/types.ts";
import type { ScorerLookup } from "../scorers/index.ts";
import { renewLeases } from "./leases.ts";
import { createOutcomeReporter } from "./outcomes.ts";
import { sweepWorkspaces } from "./retention.ts";
import { type AttemptOutcome, runAttempt, type StopReason } from "./run-attempt.ts";
import { prepareWorkspace } from "./workspace.ts";

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
}

export interface WorkerDeps {
  pool: pg.Pool;
  boss: PgBoss;
  events: Subscriber;
  executor: Executor;
  scorers: ScorerLookup;
  settings: WorkerSettings;
  log: (message: string, fields: Record<string, unknown>) => void;
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
  const node = await inTransaction(deps.pool, async (tx) => {
    const registered = await registerNode(tx, {
      aliveForMs,
      name: settings.name,
      kind: executor.kind,
      capacity: executor.capacity(),
    });
    // Attempts this node was running before a crash or restart are gone with the old process.
    const { rows } = await tx.query<{ id: string; attempt: number }>(
      `SELECT id, attempt FROM "Job" WHERE "executorNodeId" = $1 AND state = 'RUNNING' FOR UPDATE`,
      [registered.id],
    );
    for (const orphan of rows) {
      await failAttempt(
        tx,
        {
          jobId: orphan.id,
          attempt: orphan.attempt,
          code: "EXECUTOR_UNAVAILABLE",
          message: "the worker restarted during the run",
        },
        settings.backoff,
      );
    }
    if (rows.length > 0) await wakeScheduler(deps.boss, tx);
    return registered;
  });
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
  const heartbeat = async () => {
    try {
      const health = await executor.health();
      await heartbeatNode(deps.pool, node.id, health.healthy && !stopping, aliveForMs);
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
      log("worker heartbeat failed", { node: settings.name, error });
    }
  };
  const heartbeatTimer = setInterval(heartbeat, settings.heartbeatMs);
  heartbeatTimer.unref();
  const sweep = () =>
    sweepWorkspaces(
      settings.workspaceRoot,
      settings.workspaceRetentionMs,
      new Set(runs.keys()),
    ).catch((error: unknown) => log("workspace sweep failed", { error }));
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

  const execute = async (job: JobRow, controller: AbortController): Promise<AttemptOutcome> => {
    const deadline = Date.now() + job.timeLimitSec * 1000;
    const timer = setTimeout(
      () => controller.abort("TIME_LIMIT_EXCEEDED" satisfies StopReason),
      deadline - Date.now(),
    );
    try {
      let inputDir: string;
      try {
        // Checked again here: the folder may have changed since submission.
        inputDir = resolveInputDir(
          settings.inputRoot,
          await tenantSlug(job.tenantId),
          job.inputUri,
        );
      } catch (error) {
        return {
          ok: false,
          code: "MISSING_FILE",
          message: `input ${job.inputUri}: ${(error as Error).message}`,
        };
      }
      const workspace = await prepareWorkspace(settings.workspaceRoot, job, inputDir);
      return await runAttempt(deps, job, workspace, controller.signal, deadline);
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

  const launch = (job: JobRow) => {
    const controller = new AbortController();
    const run: Run = { attempt: job.attempt, controller, done: Promise.resolve() };
    runs.set(job.id, run);
    run.done = execute(job, controller)
      .then((outcome) => report(job, outcome))
      .catch((error: unknown) =>
        log("a job report failed for good; its lease will expire", { jobId: job.id, error }),
      )
      .finally(() => runs.delete(job.id));
  };

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
      unsubscribe();
      await heartbeatNode(deps.pool, node.id, false, aliveForMs).catch(() => {});
      await executor.close();
    },
  };
}
