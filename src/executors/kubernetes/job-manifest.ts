// The batch/v1 Job that runs one attempt. What it promises:
// - one pod, never retried by Kubernetes (backoffLimit 0, restartPolicy Never): retries are
//   the scheduler's decision, with a new attempt and so a new Job;
// - Pod Security Standard "restricted": non-root user and group, no privilege escalation,
//   every capability dropped, the runtime's seccomp profile, a read-only root with a
//   writable /tmp, no service account token, no service links in the environment;
// - only the request's mounts (subPaths of the workspace claim) and its own variables;
// - requests equal to limits (Guaranteed QoS: what the scheduler booked is what it gets);
// - activeDeadlineSeconds as a backstop (the time limit plus the start-up allowance) and
//   ttlSecondsAfterFinished for Jobs no worker is left to delete.
// Every manifest is checked against the Kubernetes schema (kubernetes-models) before it
// is sent: a bug here fails loudly in the tests, not as a 422 in production.
import { type IJob, Job } from "kubernetes-models/batch/v1/Job";
import type { RunRequest } from "../types.ts";
import { ANNOTATIONS, jobName, LABELS, labelValue, MANAGED_BY } from "./naming.ts";
import type { ResolvedOptions } from "./options.ts";
import { cpuQuantity, memoryQuantity } from "./quantity.ts";
import { type PodVolume, type PodVolumeMount, WORKING_DIR } from "./volumes.ts";

export const CONTAINER_NAME = "run";
export const GPU_RESOURCE = "nvidia.com/gpu";

export type JobManifest = IJob & { metadata: { name: string; namespace: string } };

/** The labels that find a run's Job: by node (sweep) and by run (people, kubectl). */
export function runLabels(request: RunRequest, nodeName: string): Record<string, string> {
  return {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.node]: labelValue(nodeName),
    [LABELS.job]: labelValue(request.jobId),
    [LABELS.attempt]: String(request.attempt),
    [LABELS.tenant]: labelValue(request.tenantId),
  };
}

export function buildJobManifest(
  request: RunRequest,
  options: ResolvedOptions,
  mounts: { volumes: PodVolume[]; volumeMounts: PodVolumeMount[] },
): JobManifest {
  if (!request.image) throw new Error("a Kubernetes run needs an image");
  const labels = runLabels(request, options.nodeName);
  const resources: Record<string, string> = {
    cpu: cpuQuantity(request.resources.cpuMillis),
    memory: memoryQuantity(request.resources.memoryMb),
    ...(request.resources.gpus > 0 ? { [GPU_RESOURCE]: String(request.resources.gpus) } : {}),
  };
  const manifest: JobManifest = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: jobName(request.jobId, request.attempt),
      namespace: options.namespace,
      labels,
      annotations: {
        [ANNOTATIONS.jobId]: request.jobId,
        [ANNOTATIONS.attempt]: String(request.attempt),
        [ANNOTATIONS.node]: options.nodeName,
        [ANNOTATIONS.tenantId]: request.tenantId,
      },
    },
    spec: {
      backoffLimit: 0,
      completions: 1,
      parallelism: 1,
      activeDeadlineSeconds:
        Math.max(1, Math.ceil(request.timeLimitMs / 1000)) + options.startupAllowanceSeconds,
      ttlSecondsAfterFinished: options.ttlSecondsAfterFinished,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...(options.serviceAccountName ? { serviceAccountName: options.serviceAccountName } : {}),
          terminationGracePeriodSeconds: options.terminationGracePeriodSeconds,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: options.runAsUser,
            runAsGroup: options.runAsGroup,
            seccompProfile: { type: "RuntimeDefault" },
          },
          ...(options.imagePullSecrets?.length
            ? { imagePullSecrets: options.imagePullSecrets.map((name) => ({ name })) }
            : {}),
          ...(options.nodeSelector ? { nodeSelector: options.nodeSelector } : {}),
          ...(options.tolerations ? { tolerations: options.tolerations } : {}),
          ...(options.runtimeClassName ? { runtimeClassName: options.runtimeClassName } : {}),
          containers: [
            {
              name: CONTAINER_NAME,
              image: request.image,
              imagePullPolicy: options.imagePullPolicy,
              command: request.command,
              workingDir: WORKING_DIR,
              env: Object.entries(request.env)
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([name, value]) => ({ name, value })),
              resources: { requests: resources, limits: resources },
              securityContext: {
                runAsNonRoot: true,
                allowPrivilegeEscalation: false,
                privileged: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts: [
                ...mounts.volumeMounts,
                { name: "tmp", mountPath: "/tmp", readOnly: false },
              ],
            },
          ],
          volumes: [
            ...mounts.volumes,
            { name: "tmp", emptyDir: { sizeLimit: memoryQuantity(options.tmpSizeMb) } },
          ],
        },
      },
    },
  };
  return manifest;
}

/** Checks a manifest against the Kubernetes schema; throws the schema's complaints. */
export function validateJobManifest(manifest: JobManifest): void {
  new Job(manifest).validate();
}
