// The engine calls at the end of a run, each robust to what can happen meanwhile: the
// engine restarting (waited out, within the grace), the container removed by another
// executor that adopted the run (a 404 is an answer), a removal already under way.
import type Docker from "dockerode";
import type { Engine } from "./engine.ts";
import {
  engineFailure,
  engineMessage,
  engineStatus,
  isEngineUnreachable,
  isNotFound,
  unreachable,
} from "./errors.ts";

/** The container's exit status, or null when it vanished before telling. */
export async function waitForExit(
  target: Docker.Container,
  engine: Engine,
  graceMs: number,
): Promise<number | null> {
  for (;;) {
    try {
      const result = (await target.wait({ condition: "not-running" })) as { StatusCode?: unknown };
      return typeof result.StatusCode === "number" ? result.StatusCode : null;
    } catch (error) {
      if (isNotFound(error)) return null;
      if (!isEngineUnreachable(error)) throw engineFailure(error, "waiting for the container");
      // A restarting engine is not a failed run: wait for it, within the grace.
      if (!(await engine.answersAgain(graceMs)))
        throw unreachable(error, "waiting for the container");
    }
  }
}

/** Whether the kernel OOM-killed a process of the container (false once it is gone). */
export async function wasOomKilled(target: Docker.Container): Promise<boolean> {
  try {
    return (await target.inspect()).State.OOMKilled === true;
  } catch (error) {
    // Removed already (by an executor that adopted the run): its exit code is all there is.
    if (isNotFound(error)) return false;
    throw engineFailure(error, "reading how the container ended");
  }
}

/**
 * Removes the container (and its anonymous volumes). Resolves with why it could not, when
 * it could not: the run's outcome stands, and the next sweep removes what is left.
 */
export async function removeContainer(
  target: Docker.Container,
  engine: Engine,
  graceMs: number,
): Promise<string | null> {
  for (;;) {
    try {
      await target.remove({ force: true, v: true });
      return null;
    } catch (error) {
      if (isNotFound(error)) return null;
      // Another executor is removing it (both watched an adopted run): wait until it is gone,
      // so "removed" holds when this run's outcome resolves.
      if (engineStatus(error) === 409 && /already in progress/i.test(engineMessage(error))) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      if (isEngineUnreachable(error) && (await engine.answersAgain(graceMs))) continue;
      return engineMessage(error);
    }
  }
}
