// How the fake kubelet turns a pod's container into a Docker container: the same checks a
// kubelet makes before it creates one (runAsNonRoot against the image's user, subPath that
// must stay inside its volume, only the volume kinds this node provides) and the same
// translation of the security context, resources and volumes into runtime settings. What
// it refuses becomes the container's CreateContainerConfigError, as on a real node.
import { mkdir, realpath } from "node:fs/promises";
import path from "node:path";
import { parseQuantity } from "./quantity.ts";

export interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  privileged?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type: string };
}

export interface PodSecurityContext extends SecurityContext {
  fsGroup?: number;
  supplementalGroups?: number[];
}

export interface ContainerSpec {
  name: string;
  image: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
}

export interface VolumeSpec {
  name: string;
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  emptyDir?: { medium?: string; sizeLimit?: string };
  [other: string]: unknown;
}

export interface PodSpec {
  containers: ContainerSpec[];
  volumes?: VolumeSpec[];
  securityContext?: PodSecurityContext;
  nodeName?: string;
  terminationGracePeriodSeconds?: number;
  activeDeadlineSeconds?: number;
}

/** Everything Docker needs to run the container the way the pod asks. */
export interface ContainerPlan {
  image: string;
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  env: string[];
  user?: string;
  groupAdd: string[];
  readonlyRootfs: boolean;
  securityOpt: string[];
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  memoryBytes?: number;
  nanoCpus?: number;
  cpuShares?: number;
  mounts: { source: string; target: string; readOnly: boolean }[];
  tmpfs: Record<string, string>;
  hostname: string;
}

/** A container the kubelet will not create; the message is what the pod status shows. */
export class ContainerConfigError extends Error {
  override readonly name = "ContainerConfigError";
}

const EMPTY_DIR_DEFAULT_BYTES = 256 * 1024 * 1024;

/** The image's configured user as uid (null for a name that needs /etc/passwd). */
function imageUid(user: string): number | null {
  const name = user.split(":")[0] ?? "";
  if (name === "" || name === "root") return 0;
  return /^\d+$/.test(name) ? Number(name) : null;
}

function checkNonRoot(context: SecurityContext, imageUser: string, where: string): void {
  if (!context.runAsNonRoot) return;
  if (context.runAsUser !== undefined) {
    if (context.runAsUser === 0)
      throw new ContainerConfigError(`container's runAsUser breaks non-root policy (${where})`);
    return;
  }
  const uid = imageUid(imageUser);
  if (uid === null)
    throw new ContainerConfigError(
      `container has runAsNonRoot and image has non-numeric user (${imageUser}), cannot verify user is non-root (${where})`,
    );
  if (uid === 0)
    throw new ContainerConfigError(
      `container has runAsNonRoot and image will run as root (${where})`,
    );
}

/** A subPath inside its volume, made when missing, never through a link that leaves it. */
async function resolveSubPath(root: string, subPath: string): Promise<string> {
  const realRoot = await realpath(root);
  const inside = (candidate: string) =>
    candidate === realRoot || candidate.startsWith(realRoot + path.sep);
  const target = path.resolve(realRoot, subPath);
  if (!inside(target)) throw new ContainerConfigError(`subPath "${subPath}" leaves its volume`);
  await mkdir(target, { recursive: true });
  const real = await realpath(target);
  if (!inside(real))
    throw new ContainerConfigError(`subPath "${subPath}" resolves outside its volume (${real})`);
  return real;
}

export interface PlanContext {
  podName: string;
  namespace: string;
  spec: PodSpec;
  container: ContainerSpec;
  /** The user the image runs as by default (its config's User). */
  imageUser: string;
  /** Host directory backing each PersistentVolumeClaim this node can mount. */
  claims: Readonly<Record<string, string>>;
  /** Variables every pod gets (the cluster's kubernetes service). */
  clusterEnv: Readonly<Record<string, string>>;
}

export async function planContainer(context: PlanContext): Promise<ContainerPlan> {
  const { spec, container } = context;
  const where = `pod: "${context.podName}_${context.namespace}", container: ${container.name}`;
  const pod = spec.securityContext ?? {};
  const own = container.securityContext ?? {};
  const effective: SecurityContext = {
    runAsUser: own.runAsUser ?? pod.runAsUser,
    runAsGroup: own.runAsGroup ?? pod.runAsGroup,
    runAsNonRoot: own.runAsNonRoot ?? pod.runAsNonRoot,
    seccompProfile: own.seccompProfile ?? pod.seccompProfile,
  };
  checkNonRoot(effective, context.imageUser, where);

  const env: string[] = Object.entries(context.clusterEnv).map(([k, v]) => `${k}=${v}`);
  for (const variable of container.env ?? []) {
    if (variable.valueFrom !== undefined)
      throw new ContainerConfigError(
        `env ${variable.name}: valueFrom is not provided by this node`,
      );
    env.push(`${variable.name}=${variable.value ?? ""}`);
  }

  const user =
    effective.runAsUser === undefined
      ? undefined
      : `${effective.runAsUser}${effective.runAsGroup === undefined ? "" : `:${effective.runAsGroup}`}`;
  const groupAdd = [
    ...(pod.fsGroup === undefined ? [] : [String(pod.fsGroup)]),
    ...(pod.supplementalGroups ?? []).map(String),
  ];

  // A kubelet leaves seccomp unconfined unless the pod asks for the runtime's default.
  const securityOpt: string[] = [];
  if (effective.seccompProfile?.type !== "RuntimeDefault") securityOpt.push("seccomp=unconfined");
  if (own.allowPrivilegeEscalation === false) securityOpt.push("no-new-privileges");

  const limits = container.resources?.limits ?? {};
  const requests = container.resources?.requests ?? {};
  const memory = parseQuantity(limits.memory);
  const cpuLimit = parseQuantity(limits.cpu);
  const cpuRequest = parseQuantity(requests.cpu ?? limits.cpu);

  const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
  const mounts: ContainerPlan["mounts"] = [];
  const tmpfs: Record<string, string> = {};
  for (const mount of container.volumeMounts ?? []) {
    const volume = volumes.get(mount.name);
    if (!volume) throw new ContainerConfigError(`volume "${mount.name}" is not defined (${where})`);
    if (volume.persistentVolumeClaim) {
      const claim = volume.persistentVolumeClaim.claimName;
      const root = context.claims[claim];
      if (!root) throw new ContainerConfigError(`persistentvolumeclaim "${claim}" not found`);
      const source = mount.subPath
        ? await resolveSubPath(root, mount.subPath)
        : await realpath(root);
      mounts.push({
        source,
        target: mount.mountPath,
        readOnly: mount.readOnly === true || volume.persistentVolumeClaim.readOnly === true,
      });
    } else if (volume.emptyDir) {
      if (mount.subPath)
        throw new ContainerConfigError("subPath into an emptyDir is not provided by this node");
      const size = parseQuantity(volume.emptyDir.sizeLimit) ?? EMPTY_DIR_DEFAULT_BYTES;
      const mode = mount.readOnly ? "ro" : "rw";
      // An emptyDir is writable by everyone in the pod (the kubelet makes it 0777).
      tmpfs[mount.mountPath] = `${mode},exec,nosuid,nodev,size=${Math.round(size)},mode=1777`;
    } else {
      const kind = Object.keys(volume).find((k) => k !== "name") ?? "unknown";
      throw new ContainerConfigError(
        `volume "${volume.name}": ${kind} volumes are not provided by this node`,
      );
    }
  }

  return {
    image: container.image,
    ...(container.command ? { entrypoint: container.command } : {}),
    ...(container.args ? { cmd: container.args } : container.command ? { cmd: [] } : {}),
    ...(container.workingDir ? { workingDir: container.workingDir } : {}),
    env,
    ...(user === undefined ? {} : { user }),
    groupAdd,
    readonlyRootfs: own.readOnlyRootFilesystem === true,
    securityOpt,
    capAdd: own.capabilities?.add ?? [],
    capDrop: own.capabilities?.drop ?? [],
    privileged: own.privileged === true,
    // Swap is off on a kubelet's node: the memory limit is memory and swap together.
    ...(memory === null ? {} : { memoryBytes: Math.round(memory) }),
    ...(cpuLimit === null ? {} : { nanoCpus: Math.round(cpuLimit * 1e9) }),
    ...(cpuRequest === null ? {} : { cpuShares: Math.max(2, Math.round(cpuRequest * 1024)) }),
    mounts,
    tmpfs,
    hostname: context.podName.slice(0, 63),
  };
}
