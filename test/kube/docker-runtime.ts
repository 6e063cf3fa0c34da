// The fake kubelet's container runtime: Docker, through dockerode. Every container it makes
// carries this runtime's label (and the test process's pid), so `removeAll` finds each one
// on close, and a later run removes what a killed test process left behind. It never
// pulls: an image is either on this machine or it is not.
import type { Readable } from "node:stream";
import Docker from "dockerode";
import type { ContainerPlan } from "./pod-plan.ts";

export const RUNTIME_LABEL = "autoscorer-test.fake-kubelet";
const OWNER_PID_LABEL = "autoscorer-test.fake-kubelet.pid";

export interface ImageInfo {
  id: string;
  /** The image config's User ("" for root). */
  user: string;
}

export interface ContainerExit {
  exitCode: number;
  oomKilled: boolean;
  startedAt: string;
  finishedAt: string;
}

export interface RunningContainer {
  readonly id: string;
  /** Starts the container; output goes to `onOutput` until it ends. */
  start(onOutput: (stream: "stdout" | "stderr", chunk: Buffer) => void): Promise<string>;
  /** Resolves when the container has ended and all its output was delivered. */
  exited(): Promise<ContainerExit>;
  kill(signal: "SIGTERM" | "SIGKILL"): Promise<void>;
  remove(): Promise<void>;
  usage(): Promise<{ cpuNanos: number; memoryBytes: number } | null>;
}

export interface ContainerRuntime {
  image(reference: string): Promise<ImageInfo | null>;
  create(
    name: string,
    plan: ContainerPlan,
    labels: Record<string, string>,
  ): Promise<RunningContainer>;
  /** Removes every container of this runtime instance. */
  removeAll(): Promise<void>;
}

const statusOf = (error: unknown) => (error as { statusCode?: number }).statusCode;

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** Removes containers of fake kubelets whose test process is gone (killed mid-run). */
async function removeOrphans(docker: Docker): Promise<void> {
  const containers = await docker.listContainers({
    all: true,
    filters: { label: [RUNTIME_LABEL] },
  });
  for (const info of containers) {
    const pid = Number(info.Labels[OWNER_PID_LABEL]);
    if (Number.isInteger(pid) && pid > 0 && !isAlive(pid))
      await docker
        .getContainer(info.Id)
        .remove({ force: true })
        .catch((error: unknown) => {
          // Another test process may be removing the same orphan at the same moment.
          if (statusOf(error) !== 404 && statusOf(error) !== 409) throw error;
        });
  }
}

export async function createDockerRuntime(
  instance: string,
  docker = new Docker(),
): Promise<ContainerRuntime> {
  await removeOrphans(docker);
  const ours = { [RUNTIME_LABEL]: instance, [OWNER_PID_LABEL]: String(process.pid) };

  return {
    async image(reference) {
      try {
        const info = await docker.getImage(reference).inspect();
        return { id: info.Id, user: info.Config?.User ?? "" };
      } catch (error: unknown) {
        if (statusOf(error) === 404) return null;
        throw new Error(`docker could not inspect image ${reference}`, { cause: error });
      }
    },

    async create(name, plan, labels) {
      const container = await docker.createContainer({
        name,
        Image: plan.image,
        ...(plan.entrypoint ? { Entrypoint: plan.entrypoint } : {}),
        ...(plan.cmd ? { Cmd: plan.cmd } : {}),
        ...(plan.workingDir ? { WorkingDir: plan.workingDir } : {}),
        ...(plan.user ? { User: plan.user } : {}),
        Env: plan.env,
        Hostname: plan.hostname,
        Labels: { ...labels, ...ours },
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        HostConfig: {
          NetworkMode: "none",
          ReadonlyRootfs: plan.readonlyRootfs,
          SecurityOpt: plan.securityOpt,
          CapAdd: plan.capAdd,
          CapDrop: plan.capDrop,
          Privileged: plan.privileged,
          GroupAdd: plan.groupAdd,
          ...(plan.memoryBytes === undefined
            ? {}
            : { Memory: plan.memoryBytes, MemorySwap: plan.memoryBytes }),
          ...(plan.nanoCpus === undefined ? {} : { NanoCpus: plan.nanoCpus }),
          ...(plan.cpuShares === undefined ? {} : { CpuShares: plan.cpuShares }),
          Mounts: plan.mounts.map((m) => ({
            Type: "bind" as const,
            Source: m.source,
            Target: m.target,
            ReadOnly: m.readOnly,
          })),
          Tmpfs: plan.tmpfs,
        },
      });
      let outputDone: Promise<void> = Promise.resolve();
      // CPU time at the previous sample: usage is a rate over the time since then.
      let lastCpu = { at: Date.now(), nanos: 0 };

      return {
        id: container.id,
        async start(onOutput) {
          // Attached before the start, so not even the first line can be missed.
          const stream = (await container.attach({
            stream: true,
            stdout: true,
            stderr: true,
          })) as unknown as Readable;
          outputDone = new Promise<void>((resolve) => {
            stream.once("end", resolve);
            stream.once("close", resolve);
            stream.once("error", () => resolve());
          });
          const sink = (name: "stdout" | "stderr") => ({
            write: (chunk: Buffer) => {
              onOutput(name, chunk);
              return true;
            },
          });
          container.modem.demuxStream(stream, sink("stdout"), sink("stderr"));
          try {
            await container.start();
          } catch (error: unknown) {
            stream.destroy();
            throw error;
          }
          const info = await container.inspect();
          lastCpu = { at: Date.parse(info.State.StartedAt) || Date.now(), nanos: 0 };
          return info.State.StartedAt;
        },
        async exited() {
          await container.wait();
          await outputDone;
          const info = await container.inspect();
          return {
            exitCode: info.State.ExitCode,
            oomKilled: info.State.OOMKilled,
            startedAt: info.State.StartedAt,
            finishedAt: info.State.FinishedAt,
          };
        },
        async kill(signal) {
          await container.kill({ signal }).catch((error: unknown) => {
            // 409: not running any more; 404: already removed. Either way it is stopped.
            if (statusOf(error) !== 409 && statusOf(error) !== 404) throw error;
          });
        },
        async remove() {
          await container.remove({ force: true }).catch((error: unknown) => {
            if (statusOf(error) !== 404 && statusOf(error) !== 409) throw error;
          });
        },
        async usage() {
          const stats = await container.stats({ stream: false, "one-shot": true }).catch(
            // A container that ended between the caller's check and this call has no
            // stats: the metrics API then answers 404 for its pod, as metrics-server does.
            () => null,
          );
          if (!stats?.memory_stats?.usage) return null;
          const now = Date.now();
          const nanos = stats.cpu_stats.cpu_usage.total_usage;
          const previous = lastCpu;
          lastCpu = { at: now, nanos };
          const memoryStats = stats.memory_stats.stats as Record<string, number> | undefined;
          // The working set, as metrics-server reports it: usage less inactive page cache.
          const inactive = memoryStats?.total_inactive_file ?? 0;
          // CPU nanoseconds per millisecond × 1e3 = nanocores over the interval.
          const rate = ((nanos - previous.nanos) / Math.max(1, now - previous.at)) * 1e3;
          return {
            cpuNanos: Math.max(0, Math.round(rate)),
            memoryBytes: Math.max(0, stats.memory_stats.usage - inactive),
          };
        },
      };
    },

    async removeAll() {
      const containers = await docker.listContainers({
        all: true,
        filters: { label: [`${RUNTIME_LABEL}=${instance}`] },
      });
      await Promise.all(
        containers.map((info) =>
          docker
            .getContainer(info.Id)
            .remove({ force: true })
            .catch((error: unknown) => {
              if (statusOf(error) !== 404 && statusOf(error) !== 409) throw error;
            }),
        ),
      );
    },
  };
}
