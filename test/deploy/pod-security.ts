// What every pod AutoScorer ships must meet: the Pod Security Standard "restricted" (the
// namespace enforces it; checking here finds a violation before a cluster refuses the pod)
// and the house rules on top: a read-only root filesystem with a writable /tmp, resource
// requests and limits, no `latest` image.

import { DaemonSet, Deployment, ReplicaSet, StatefulSet } from "kubernetes-models/apps/v1";
import { CronJob, Job } from "kubernetes-models/batch/v1";
import { Pod } from "kubernetes-models/v1";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { Manifest } from "./kubernetes-manifests.ts";

/** The pod template of a workload (or the pod itself); undefined for other kinds. */
export function podSpecOf(object: Manifest): IPodSpec | undefined {
  if (Pod.is(object)) return object.spec;
  if (CronJob.is(object)) return object.spec?.jobTemplate.spec?.template.spec;
  if (
    Deployment.is(object) ||
    StatefulSet.is(object) ||
    DaemonSet.is(object) ||
    ReplicaSet.is(object) ||
    Job.is(object)
  )
    return object.spec?.template?.spec;
  return undefined;
}

/** Volume sources the restricted standard allows (hostPath, above all, is not one). */
const RESTRICTED_VOLUME_SOURCES = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

function containerProblems(pod: IPodSpec, container: IContainer): string[] {
  const problems: string[] = [];
  const own = container.securityContext ?? {};
  const podLevel = pod.securityContext ?? {};
  const at = `container ${container.name}`;
  // A container's own setting wins over the pod's, as in the kubelet.
  if ((own.runAsNonRoot ?? podLevel.runAsNonRoot) !== true)
    problems.push(`${at}: runAsNonRoot is not true`);
  const user = own.runAsUser ?? podLevel.runAsUser;
  if (user === undefined || user === 0) problems.push(`${at}: runAsUser is not a non-zero uid`);
  if (own.allowPrivilegeEscalation !== false)
    problems.push(`${at}: allowPrivilegeEscalation is not false`);
  if (own.privileged === true) problems.push(`${at}: privileged`);
  if (!own.capabilities?.drop?.includes("ALL")) problems.push(`${at}: does not drop ALL`);
  const added = (own.capabilities?.add ?? []).filter((c) => c !== "NET_BIND_SERVICE");
  if (added.length > 0) problems.push(`${at}: adds capabilities ${added.join(", ")}`);
  const seccomp = (own.seccompProfile ?? podLevel.seccompProfile)?.type;
  if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost")
    problems.push(`${at}: seccomp profile is ${seccomp ?? "unset"}, not RuntimeDefault`);
  if (own.readOnlyRootFilesystem !== true) problems.push(`${at}: root filesystem is writable`);
  const tmp = container.volumeMounts?.find((m) => m.mountPath === "/tmp");
  const tmpVolume = pod.volumes?.find((v) => v.name === tmp?.name);
  if (!tmpVolume?.emptyDir) problems.push(`${at}: no emptyDir at /tmp`);
  for (const port of container.ports ?? [])
    if (port.hostPort !== undefined) problems.push(`${at}: uses hostPort ${port.hostPort}`);
  for (const kind of ["requests", "limits"] as const)
    for (const resource of ["cpu", "memory"])
      if (container.resources?.[kind]?.[resource] === undefined)
        problems.push(`${at}: no ${resource} ${kind}`);
  if (!container.image || /:latest$|^[^:]+$/.test(container.image))
    problems.push(`${at}: image ${container.image ?? "(none)"} has no pinned tag`);
  return problems;
}

/** Everything that keeps a pod from meeting the rules above; empty when it does. */
export function podSecurityProblems(pod: IPodSpec): string[] {
  const problems: string[] = [];
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push("shares a host namespace");
  for (const volume of pod.volumes ?? []) {
    const sources = Object.keys(volume).filter((k) => k !== "name");
    for (const source of sources)
      if (!RESTRICTED_VOLUME_SOURCES.has(source))
        problems.push(`volume ${volume.name}: ${source} is not allowed`);
  }
  const containers = [...(pod.initContainers ?? []), ...pod.containers];
  return [...problems, ...containers.flatMap((c) => containerProblems(pod, c))];
}
