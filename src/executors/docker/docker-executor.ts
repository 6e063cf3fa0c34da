// The Docker executor: runs each job's command in a hardened container on one engine (see
// container-config.ts for the sandbox, docs/executors.md for what it guarantees). The node
// name in every container's labels ties runs to this node, so a worker that restarts can
// adopt the runs its predecessor left running, or sweep the ones nobody wants any more; and
// any live node on the engine removes the runs of dead nodes once they are over.
import type Docker from "dockerode";
import {
  type Executor,
  type ExecutorCapacity,
  type ExecutorHealth,
  type RunHandle,
  type RunRequest,
  runKey,
} from "../types.ts";
import { createEngine } from "./engine.ts";
import {
  ExecutorUnavailableError,
  engineMessage,
  isEngineUnreachable,
  isNotFound,
} from "./errors.ts";
import { anyNodeFilter, LABELS, labelFilter, runOf } from "./labels.ts";
import { DEFAULT_SOCKET_PATH, type DockerExecutorOptions, resolveOptions } from "./options.ts";
import { runContainer } from "./run-container.ts";

export { ExecutorUnavailableError } from "./errors.ts";
export type { DockerExecutorOptions, PullPolicy } from "./options.ts";
export { DockerOptionsError } from "./options.ts";

interface LiveRun {
  jobId: string;
  attempt: number;
  handle: RunHandle;
}

const NO_CAPACITY: ExecutorCapacity = { cpuMillis: 0, memoryMb: 0, gpus: 0, maxJobs: 0 };

export function createDockerExecutor(input: DockerExecutorOptions): Executor {
  const options = resolveOptions(input);
  const { docker } = options;
  const engine = createEngine(docker);
  const live = new Set<LiveRun>();
  let closed = false;
  // A run may mount anything the worker gives it except the host's root or the engine's
  // socket: either would hand a stranger the machine.
  // (docker-modem keeps the socket it dials as `socketPath`; its typings do not list it.)
  const modemSocket: unknown = Reflect.get(docker.modem, "socketPath");
  const forbiddenSources = new Set(
    ["/", DEFAULT_SOCKET_PATH, "/run/docker.sock", modemSocket].filter(
      (source): source is string => typeof source === "string",
    ),
  );
  const context = { options, engine, isClosed: () => closed, forbiddenSources };

  const track = (request: RunRequest, handle: RunHandle): RunHandle => {
    const entry: LiveRun = { jobId: request.jobId, attempt: request.attempt, handle };
    live.add(entry);
    void handle.outcome.finally(() => live.delete(entry));
    return handle;
  };

  const isLive = (jobId: string, attempt: number) =>
    [...live].some((run) => run.jobId === jobId && run.attempt === attempt);

  /** Lists this node's containers (or one run's); an unreachable engine is a typed error. */
  const listOwn = async (run?: { jobId: string; attempt: number }) => {
    try {
      return await docker.listContainers({
        all: true,
        filters: labelFilter(options.nodeName, run),
      });
    } catch (error) {
      throw new ExecutorUnavailableError(
        `the Docker engine cannot list this node's containers: ${engineMessage(error)}`,
        { cause: error },
      );
    }
  };

  const remove = async (container: Docker.Container): Promise<boolean> => {
    try {
      await container.remove({ force: true, v: true });
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      if (/already in progress/i.test(engineMessage(error))) return false;
      if (isEngineUnreachable(error))
        throw new ExecutorUnavailableError("the Docker engine went away during a sweep", {
          cause: error,
        });
      throw new Error(`container ${container.id} could not be removed: ${engineMessage(error)}`, {
        cause: error,
      });
    }
  };

  return {
    kind: "DOCKER",

    start: (request) => track(request, runContainer(context, request, { kind: "fresh" })),

    async adopt(request) {
      if (closed) throw new ExecutorUnavailableError("the executor is shut down");
      const [found] = await listOwn(request);
      if (!found) return null;
      const container = docker.getContainer(found.Id);
      let info: Docker.ContainerInspectInfo;
      try {
        info = await container.inspect();
      } catch (error) {
        if (isNotFound(error)) return null;
        throw new ExecutorUnavailableError(
          `the Docker engine cannot inspect container ${found.Id}: ${engineMessage(error)}`,
          { cause: error },
        );
      }
      // Created but never started: the previous worker died between the two. Nothing ran,
      // so there is nothing to take over; the caller starts the run afresh.
      if (info.State.Status === "created") {
        await remove(container);
        return null;
      }
      return track(request, runContainer(context, request, { kind: "adopted", container, info }));
    },

    async sweep(keep) {
      const containers = await listOwn();
      const unwanted = containers.filter((found) => {
        const run = runOf(found.Labels);
        // A container with this node's label but no run's labels is no run's: it goes.
        if (!run) return true;
        return !isLive(run.jobId, run.attempt) && !keep(run.jobId, run.attempt);
      });
      const removed = await Promise.all(
        unwanted.map((found) => remove(docker.getContainer(found.Id))),
      );
      return removed.filter(Boolean).length;
    },

    async sweepForeign(over) {
      let containers: Docker.ContainerInfo[];
      try {
        containers = await docker.listContainers({ all: true, filters: anyNodeFilter() });
      } catch (error) {
        throw new ExecutorUnavailableError(
          `the Docker engine cannot list its containers: ${engineMessage(error)}`,
          { cause: error },
        );
      }
      const foreign = containers.flatMap((found) => {
        const node = found.Labels?.[LABELS.node];
        const run = runOf(found.Labels);
        return node && node !== options.nodeName && run ? [{ ...run, node, id: found.Id }] : [];
      });
      if (foreign.length === 0) return 0;
      const ended = await over(
        foreign.map(({ jobId, attempt, node }) => ({ jobId, attempt, node })),
      );
      const removed = await Promise.all(
        foreign
          .filter((run) => ended.has(runKey(run)))
          .map((run) => remove(docker.getContainer(run.id))),
      );
      return removed.filter(Boolean).length;
    },

    async health(): Promise<ExecutorHealth> {
      if (closed) return { healthy: false, message: "shut down", capacity: NO_CAPACITY };
      try {
        await engine.ping(options.healthTimeoutMs);
        const info = await engine.info(options.healthTimeoutMs);
        const cap = options.capacity;
        const cpuMillis = Math.min(info.cpus * 1000, cap.cpuMillis ?? Number.POSITIVE_INFINITY);
        const memoryMb = Math.min(
          Math.floor(info.memoryBytes / 2 ** 20),
          cap.memoryMb ?? Number.POSITIVE_INFINITY,
        );
        const gpus = info.runtimes.includes(options.gpuRuntime) ? options.gpus : 0;
        return {
          healthy: true,
          capacity: { cpuMillis, memoryMb, gpus, maxJobs: cap.maxJobs ?? info.cpus },
        };
      } catch (error) {
        return {
          healthy: false,
          message: `the Docker engine does not answer: ${engineMessage(error)}`,
          capacity: NO_CAPACITY,
        };
      }
    },

    async close() {
      closed = true;
      const runs = [...live].map((run) => run.handle);
      await Promise.all(runs.map((run) => run.stop("SHUTDOWN")));
      await Promise.all(runs.map((run) => run.outcome));
    },
  };
}
