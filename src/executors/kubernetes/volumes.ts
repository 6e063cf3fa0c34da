// Where a run's mounts come from inside the cluster. The worker sees the workspace
// volume(s) as host folders; the pod sees the same files through a PersistentVolumeClaim.
// Each mount becomes a volumeMount of that claim with `subPath` = the mount's place under
// the mapped folder, so the pod sees exactly the folders the worker chose (never the
// ground truth beside them). A mount outside every mapped folder cannot be expressed and is
// refused; so is one that reaches outside through a symbolic link (paths are resolved).
import { chown, realpath } from "node:fs/promises";
import path from "node:path";
import type { Mount } from "../types.ts";

export interface WorkspaceVolume {
  /** Where this worker sees the volume: an absolute host folder. */
  hostPath: string;
  /** The PersistentVolumeClaim that holds the same files inside the cluster. */
  claimName: string;
  /** Where `hostPath` sits inside the claim; "" when the worker mounts the claim's root. */
  pathInClaim?: string;
}

/** A mount the executor cannot give the pod; the run ends with CONTAINER_CREATE_FAILED. */
export class MountRefusedError extends Error {
  override readonly name = "MountRefusedError";
}

export interface PodVolume {
  name: string;
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: { sizeLimit: string };
}

export interface PodVolumeMount {
  name: string;
  mountPath: string;
  subPath?: string;
  readOnly: boolean;
}

export const WORKING_DIR = "/workspace";

async function resolved(folder: string, what: string): Promise<string> {
  try {
    return await realpath(folder);
  } catch (error: unknown) {
    throw new MountRefusedError(`${what} ${folder} cannot be resolved`, { cause: error });
  }
}

/** The mount's place under the working directory: relative, normalised, inside. */
function mountPath(target: string): string {
  const normal = path.posix.normalize(target.replaceAll("\\", "/"));
  if (path.posix.isAbsolute(normal) || normal === "." || normal.split("/").includes(".."))
    throw new MountRefusedError(
      `mount target "${target}" must be a folder under the working directory`,
    );
  return path.posix.join(WORKING_DIR, normal);
}

export async function podMounts(
  mounts: readonly Mount[],
  volumes: readonly WorkspaceVolume[],
): Promise<{ volumes: PodVolume[]; volumeMounts: PodVolumeMount[] }> {
  const roots = await Promise.all(
    volumes.map(async (v, index) => ({
      volume: v,
      name: `workspace-${index}`,
      root: await resolved(v.hostPath, "the workspace volume folder"),
    })),
  );
  const used = new Map<string, PodVolume>();
  const volumeMounts: PodVolumeMount[] = [];
  const targets = new Set<string>();
  for (const mount of mounts) {
    const target = mountPath(mount.target);
    if (targets.has(target)) throw new MountRefusedError(`two mounts target "${mount.target}"`);
    targets.add(target);
    const source = await resolved(mount.source, `mount "${mount.target}":`);
    const home = roots.find((r) => source === r.root || source.startsWith(r.root + path.sep));
    if (!home) {
      const mapped = volumes.map((v) => `${v.hostPath} → PVC ${v.claimName}`).join(", ") || "none";
      throw new MountRefusedError(
        `mount "${mount.target}": ${mount.source} is not under a folder this executor maps to a volume (${mapped})`,
      );
    }
    const relative = path.relative(home.root, source).split(path.sep).join("/");
    const subPath = path.posix.join(home.volume.pathInClaim ?? "", relative);
    used.set(home.name, {
      name: home.name,
      persistentVolumeClaim: { claimName: home.volume.claimName },
    });
    volumeMounts.push({
      name: home.name,
      mountPath: target,
      ...(subPath && subPath !== "." ? { subPath } : {}),
      readOnly: mount.readOnly,
    });
  }
  return { volumes: [...used.values()], volumeMounts };
}

/**
 * Makes the folders the run writes (its output) the pod user's: the pod runs as a fixed
 * non-root user, and a worker running as root would otherwise hand it folders it cannot
 * write. A worker that is not root cannot chown; it must run as the pods' user (its folders
 * are then theirs already), which is what the docs ask of a deployment.
 */
export async function handWritableMounts(
  mounts: readonly Mount[],
  user: { uid: number; gid: number },
): Promise<void> {
  if (process.getuid?.() !== 0) return;
  for (const mount of mounts)
    if (!mount.readOnly)
      await chown(mount.source, user.uid, user.gid).catch((error: unknown) => {
        throw new MountRefusedError(
          `cannot give mount "${mount.target}" (${mount.source}) to uid ${user.uid}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
          { cause: error },
        );
      });
}
