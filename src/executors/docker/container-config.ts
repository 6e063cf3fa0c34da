// The create options of every run container: the sandbox a stranger's code runs in. Each
// setting below closes one way out; none of them is optional per job. The request is
// checked first, so a malformed one ends CONTAINER_CREATE_FAILED with a clear message
// instead of becoming a container the engine half-accepts.
import path from "node:path";
import type Docker from "dockerode";
import type { Mount, RunRequest } from "../types.ts";
import { RunFailure } from "./errors.ts";
import { containerName, runLabels } from "./labels.ts";
import type { ResolvedOptions } from "./options.ts";

/** Where the mounts appear and where the command starts. */
export const WORKDIR = "/workspace";

/** The engine refuses memory limits below 6 MiB. */
const MIN_MEMORY_MB = 6;

const invalid = (message: string) =>
  new RunFailure("CONTAINER_CREATE_FAILED", `the run cannot be created: ${message}`);

function checkMount(mount: Mount, forbidden: ReadonlySet<string>): void {
  const { source, target } = mount;
  if (typeof source !== "string" || !path.isAbsolute(source) || source.includes("\0"))
    throw invalid(`mount source must be an absolute host path, got ${JSON.stringify(source)}`);
  if (forbidden.has(path.resolve(source)))
    throw invalid(`mount source ${source} would expose the host or the engine`);
  const normal = typeof target === "string" ? path.posix.normalize(target) : "";
  if (
    normal !== target ||
    normal === "." ||
    normal.startsWith("/") ||
    normal === ".." ||
    normal.startsWith("../") ||
    normal.endsWith("/") ||
    normal.includes("\0")
  )
    throw invalid(`mount target must be a plain relative path, got ${JSON.stringify(target)}`);
}

/** Throws CONTAINER_CREATE_FAILED for a request no container should be made from. */
export function checkRequest(request: RunRequest, forbiddenSources: ReadonlySet<string>): string {
  const image = request.image;
  if (typeof image !== "string" || image.trim() === "")
    throw invalid("the Docker executor needs an image");
  if (!Array.isArray(request.command) || request.command.some((a) => typeof a !== "string"))
    throw invalid("the command must be a list of strings");
  if (request.command.some((arg) => arg.includes("\0")))
    throw invalid("the command contains a NUL character");
  for (const [name, value] of Object.entries(request.env ?? {})) {
    if (!/^[^=\0]+$/.test(name))
      throw invalid(`invalid environment variable name ${JSON.stringify(name)}`);
    if (typeof value !== "string" || value.includes("\0"))
      throw invalid(`environment variable ${name} must be a string without NUL`);
  }
  const targets = new Set<string>();
  for (const mount of request.mounts) {
    checkMount(mount, forbiddenSources);
    if (targets.has(mount.target)) throw invalid(`two mounts at ${mount.target}`);
    targets.add(mount.target);
  }
  const { cpuMillis, memoryMb, gpus } = request.resources;
  if (!Number.isInteger(cpuMillis) || cpuMillis <= 0)
    throw invalid(`cpuMillis must be a positive whole number, got ${cpuMillis}`);
  if (!Number.isInteger(memoryMb) || memoryMb < MIN_MEMORY_MB)
    throw invalid(`memoryMb must be a whole number ≥ ${MIN_MEMORY_MB}, got ${memoryMb}`);
  if (!Number.isInteger(gpus) || gpus < 0)
    throw invalid(`gpus must be a whole number ≥ 0, got ${gpus}`);
  return image;
}

/**
 * The variables a run gets: the job's own, over a HOME and TMPDIR in the writable /tmp
 * (the image's HOME is on the read-only root, and tools that cache there would fail).
 * The image's own ENV (PATH and the like) still applies; the worker's never does.
 */
function environment(request: RunRequest): string[] {
  const env: Record<string, string> = { HOME: "/tmp", TMPDIR: "/tmp", ...request.env };
  return Object.entries(env).map(([name, value]) => `${name}=${value}`);
}

export function containerConfig(
  request: RunRequest,
  image: string,
  options: ResolvedOptions,
): Docker.ContainerCreateOptions {
  const { memoryMb, cpuMillis, gpus } = request.resources;
  const memoryBytes = memoryMb * 1024 * 1024;
  return {
    name: containerName(options.nodeName, request),
    Image: image,
    // An empty command keeps the image's own CMD, as `docker run IMAGE` would; the image's
    // ENTRYPOINT is kept either way, so an image built for "ENTRYPOINT + args" works.
    Cmd: request.command.length > 0 ? request.command : undefined,
    Env: environment(request),
    WorkingDir: WORKDIR,
    User: `${options.runUser.uid}:${options.runUser.gid}`,
    Labels: runLabels(request, options.nodeName),
    // Output comes through an attach made before start: no TTY (stdout and stderr stay
    // apart), no stdin (a job reads its input from files).
    Tty: false,
    OpenStdin: false,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: {
      // No interface but loopback: no exfiltration, no calls home, no attacks on the
      // platform's own services.
      NetworkMode: "none",
      // The image cannot be altered at run time; scratch space is a small private tmpfs
      // where nothing can be executed or gain privileges.
      ReadonlyRootfs: true,
      Tmpfs: { "/tmp": `rw,noexec,nosuid,nodev,size=${options.tmpSizeMb}m,mode=1777` },
      // Without capabilities root-like operations fail even if a setuid binary were found;
      // no-new-privileges stops setuid/setcap binaries from gaining any.
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      Privileged: false,
      // A fork bomb hits this ceiling, not the node's process table.
      PidsLimit: options.pidsLimit,
      // Swap equal to memory: the limit is a hard one, and exceeding it is an OOM kill the
      // executor reports as MEMORY_LIMIT_EXCEEDED rather than a crawl through swap.
      Memory: memoryBytes,
      MemorySwap: memoryBytes,
      NanoCpus: cpuMillis * 1_000_000,
      // When the node itself runs short, the kernel should kill a job before the engine or
      // the worker (the cgroup limit above is what normally stops a job).
      OomScoreAdj: 500,
      // Exactly the request's mounts. Mounts, not Binds: a missing source is an error here,
      // where Binds would silently create it on the host as root.
      Mounts: request.mounts.map((mount) => ({
        Type: "bind" as const,
        Source: mount.source,
        Target: path.posix.join(WORKDIR, mount.target),
        ReadOnly: mount.readOnly,
      })),
      // PID 1 is a tiny init that forwards signals and reaps zombies: a job's shell that
      // ignores SIGTERM is still killed cleanly, and orphaned children do not pile up.
      Init: true,
      IpcMode: "private",
      RestartPolicy: { Name: "no", MaximumRetryCount: 0 },
      // Removed by the executor, after it has read how the run ended (OOM or not).
      AutoRemove: false,
      // The attach stream is the one reader of the output; a second copy on the engine's
      // disk would only let a job that prints gigabytes fill it.
      LogConfig: { Type: "none", Config: {} },
      DeviceRequests: gpus > 0 ? [{ Driver: "", Count: gpus, Capabilities: [["gpu"]] }] : undefined,
    },
  };
}
