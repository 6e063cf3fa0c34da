// Runs of dead nodes, removed by whichever node is alive on the same engine. A node sweeps
// its own leftovers when it starts again (worker.ts, recoverRuns); a node that never comes
// back would leave its containers running strangers' code with no deadline but its own.
// So every live node asks its executor, now and then, for the runs other nodes left on the
// engine, and removes those whose job has moved on (src/domain/jobs/attempts-over.ts).
import type pg from "pg";
import { attemptsOver } from "../domain/jobs/attempts-over.ts";
import { type Executor, runKey } from "../executors/types.ts";
import type { Logger } from "../log.ts";

export interface ForeignSweep {
  /** One sweep now; resolves when it is done (failures are logged, not thrown). */
  sweepNow(): Promise<void>;
  /** No more sweeps; resolves once the one under way, if any, is done. */
  stop(): Promise<void>;
}

export function startForeignSweep(
  deps: { pool: pg.Pool; executor: Executor; log: Logger },
  intervalMs: number,
): ForeignSweep {
  const { executor, log } = deps;
  let running: Promise<void> | null = null;
  const sweepNow = (): Promise<void> => {
    if (!executor.sweepForeign) return Promise.resolve();
    // One at a time: a slow engine must not pile sweeps up.
    running ??= executor
      .sweepForeign(async (runs) => {
        const over = await attemptsOver(deps.pool, runs);
        for (const run of runs)
          if (over.has(runKey(run)))
            log.info(
              { jobId: run.jobId, attempt: run.attempt, node: run.node },
              "removing a run its dead node left",
            );
        return over;
      })
      .then(
        (removed) => {
          if (removed > 0) log.info({ removed }, "removed runs dead nodes left behind");
        },
        (error: unknown) => log.warn({ err: error }, "sweeping other nodes' runs failed"),
      )
      .finally(() => {
        running = null;
      });
    return running;
  };
  const timer = setInterval(() => void sweepNow(), intervalMs);
  timer.unref();
  return {
    sweepNow,
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
