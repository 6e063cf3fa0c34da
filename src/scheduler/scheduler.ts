// The scheduler process: a loop of admission passes. A pass runs in one transaction under
// a Postgres advisory lock, so any number of scheduler processes may run against one
// database and exactly one plans at a time: it reaps expired leases, loads a snapshot,
// plans by fair share and placement, and writes the plan. Passes are triggered by job
// state events (a submitted, finished or re-queued job) and by a timer, which also brings
// backoffs and leases due and catches up on an event missed while the LISTEN connection was
// down (a pass reads the whole waiting line, so no event carries state a pass needs).
// Wake-ups that arrive during a pass fold into one follow-up pass, which starts no sooner
// than `passIntervalMs` after the last one did: under load, one pass admits what several
// submissions brought.
import type pg from "pg";
import type { PgBoss } from "pg-boss";
import type { Subscriber } from "../db/pubsub.ts";
import { inTransaction } from "../db/sql.ts";
import type { JobRow } from "../domain/jobs/job-row.ts";
import { type JobStateEvent, PLACED_STATES } from "../domain/jobs/lifecycle.ts";
import type { Logger } from "../log.ts";
import { writeAdmissions, writeRefusals } from "./admit.ts";
import { planAdmissions } from "./fair-share.ts";
import type { BackendRules } from "./placement.ts";
import { type ReaperSettings, reapExpiredLeases } from "./reaper.ts";
import { loadSnapshot } from "./snapshot.ts";

/** One key for every scheduler process of a database: "AUTOSCHD". */
const SCHEDULER_LOCK = 0x4155544f53434844n;

export interface SchedulerSettings {
  rules: BackendRules;
  reaper: ReaperSettings;
  /** Most jobs admitted per pass; a full pass is followed at once by another. */
  passLimit: number;
  /** A QUEUED job its node has not started within this goes back to wait. */
  dispatchTimeoutMs: number;
  /** Timer between passes when nothing wakes the scheduler. */
  tickMs: number;
  /** Shortest time between the starts of two passes (config scheduler.passIntervalMs). */
  passIntervalMs: number;
}

export interface PassReport {
  reaped: number;
  queued: number;
  refused: number;
  /** The jobs behind `reaped` and `refused`, for a log line each. */
  reapedJobs: JobRow[];
  refusedJobs: JobRow[];
}

export interface SchedulerDeps {
  pool: pg.Pool;
  boss: PgBoss;
  /** Job state events: a finished or re-queued job frees or needs capacity, so a pass runs. */
  events: Subscriber;
  settings: SchedulerSettings;
  log: Logger;
}

export interface Scheduler {
  /** Runs one pass now (tests, tools); the loop keeps running on its own. */
  runPass(): Promise<PassReport>;
  /** Asks for a pass soon; calls while one runs fold into one follow-up pass. */
  wake(): void;
  stop(): Promise<void>;
}

/**
 * One pass. `reap`: also end the placed attempts whose lease ran out; leases are long and
 * passes under load come many a second, so the loop reaps once per tick, not every pass.
 */
export async function runPass(
  deps: Pick<SchedulerDeps, "pool" | "boss" | "settings">,
  options: { reap: boolean } = { reap: true },
): Promise<PassReport> {
  const { settings } = deps;
  return inTransaction(
    deps.pool,
    async (tx) => {
      const reapedJobs = options.reap ? await reapExpiredLeases(tx, settings.reaper) : [];
      const snapshot = await loadSnapshot(tx, settings.passLimit);
      const plan = planAdmissions({
        ...snapshot,
        rules: settings.rules,
        limit: settings.passLimit,
      });
      const refusedJobs = await writeRefusals(tx, plan.refused);
      const queued = await writeAdmissions(
        tx,
        deps.boss,
        plan.admitted,
        settings.dispatchTimeoutMs,
      );
      return {
        reaped: reapedJobs.length,
        queued,
        refused: plan.refused.length,
        reapedJobs,
        refusedJobs,
      };
    },
    // The scheduler lock travels with BEGIN: one round trip fewer per pass.
    { beginWith: `SELECT pg_advisory_xact_lock(${SCHEDULER_LOCK})` },
  );
}

/** One line per job the pass ended or sent back, so a grep for the job finds it. */
function logPass(log: Logger, report: PassReport): void {
  for (const job of report.reapedJobs) {
    log.warn(
      { jobId: job.id, tenantId: job.tenantId, attempt: job.attempt, state: job.state },
      "the job's lease ran out; its attempt ended EXECUTOR_UNAVAILABLE",
    );
  }
  for (const job of report.refusedJobs) {
    log.info(
      { jobId: job.id, tenantId: job.tenantId, errorCode: job.errorCode },
      "refused a job that cannot run as things stand",
    );
  }
  if (report.reaped > 0 || report.refused > 0) {
    const { reaped, queued, refused } = report;
    log.debug({ reaped, queued, refused }, "scheduler pass");
  }
}

export async function startScheduler(deps: SchedulerDeps): Promise<Scheduler> {
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  let reapedAt = 0;
  let startedAt = 0;
  const loop = async () => {
    do {
      const wait = startedAt + deps.settings.passIntervalMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (stopped) return;
      // The pass reads the whole waiting line: it covers whatever woke us until now.
      again = false;
      startedAt = Date.now();
      try {
        const reap = Date.now() - reapedAt >= deps.settings.tickMs;
        if (reap) reapedAt = Date.now();
        const report = await runPass(deps, { reap });
        // A full pass means more may be admissible right now.
        if (report.queued + report.refused >= deps.settings.passLimit) again = true;
        logPass(deps.log, report);
      } catch (error) {
        // A lost database connection: the timer brings the next attempt.
        deps.log.warn({ err: error }, "scheduler pass failed");
      }
    } while (again && !stopped);
  };
  const wake = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = loop().finally(() => {
      running = null;
    });
  };

  const unsubscribe = deps.events.on("tenant-jobs", undefined, (event) => {
    // A job that joined the line or left a node may be admissible, or free room for others.
    const { state } = event.data as JobStateEvent;
    if (!PLACED_STATES.includes(state)) wake();
  });
  const timer = setInterval(wake, deps.settings.tickMs);
  timer.unref();
  wake();

  return {
    runPass: () => runPass(deps),
    wake,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      unsubscribe();
      await running;
    },
  };
}
