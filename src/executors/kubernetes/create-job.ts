// Creating a run's Job, or finding the one that already exists. The name is deterministic,
// so a 409 AlreadyExists means this run's Job is there (made by a worker that died, or by a
// create whose answer was lost): the run attaches to it instead of failing or making a
// second one. A create that gets no answer is retried for a while; a retry that lands after
// the first one did create the Job gets that 409 and attaches.
import type { V1Job } from "@kubernetes/client-node";
import { failed } from "../run/outcomes.ts";
import type { RunOutcome, RunRequest } from "../types.ts";
import { apiError, createRefusalCode } from "./failures.ts";
import { buildJobManifest, validateJobManifest } from "./job-manifest.ts";
import type { KubeClient } from "./kube-client.ts";
import { ANNOTATIONS, jobName } from "./naming.ts";
import type { ResolvedOptions } from "./options.ts";
import { handWritableMounts, MountRefusedError, podMounts } from "./volumes.ts";
import { asJson, type KubeObject } from "./watch-objects.ts";

export type JobJson = KubeObject & {
  spec?: { activeDeadlineSeconds?: number };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
};

/** Is this Job the one of this run? Its annotations carry the exact job id and attempt. */
export function belongsTo(job: JobJson, request: RunRequest): boolean {
  const annotations = job.metadata?.annotations ?? {};
  return (
    annotations[ANNOTATIONS.jobId] === request.jobId &&
    annotations[ANNOTATIONS.attempt] === String(request.attempt)
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function createOrAttach(
  client: KubeClient,
  options: ResolvedOptions,
  request: RunRequest,
  stopped: () => RunOutcome | null,
): Promise<{ job: JobJson; attached: boolean } | { outcome: RunOutcome }> {
  let manifest: ReturnType<typeof buildJobManifest>;
  try {
    const mounts = await podMounts(request.mounts, options.volumes);
    manifest = buildJobManifest(request, options, mounts);
    validateJobManifest(manifest);
    await handWritableMounts(request.mounts, { uid: options.runAsUser, gid: options.runAsGroup });
  } catch (error: unknown) {
    const why =
      error instanceof MountRefusedError
        ? error.message
        : `the Job manifest is invalid: ${String(error)}`;
    return { outcome: failed("CONTAINER_CREATE_FAILED", why) };
  }
  const name = jobName(request.jobId, request.attempt);
  const giveUpAt = Date.now() + options.apiRetryMs;
  let backoffMs = 200;
  for (;;) {
    const stop = stopped();
    if (stop) return { outcome: stop };
    try {
      // kubernetes-models and client-node type the same JSON object; only dates differ.
      const body = manifest as unknown as V1Job;
      const created = await client.batch.createNamespacedJob({
        namespace: options.namespace,
        body,
      });
      return { job: asJson<JobJson>(created), attached: false };
    } catch (error: unknown) {
      const refusal = apiError(error, `creating Job ${name}`);
      if (refusal.code === 409) {
        try {
          const existing = asJson<JobJson>(
            await client.batch.readNamespacedJob({ name, namespace: options.namespace }),
          );
          if (belongsTo(existing, request)) return { job: existing, attached: true };
          return {
            outcome: failed(
              "CONTAINER_CREATE_FAILED",
              `a Job named ${name} exists for another run`,
            ),
          };
        } catch (readError: unknown) {
          // Gone between the 409 and the read (deleted meanwhile): create it again.
          if (apiError(readError, "reading").code !== 404) throw readError;
          if (Date.now() < giveUpAt) continue;
          return { outcome: failed("EXECUTOR_UNAVAILABLE", `Job ${name} keeps vanishing`) };
        }
      }
      if (refusal.transient && Date.now() < giveUpAt) {
        await sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 5000);
        continue;
      }
      return { outcome: failed(createRefusalCode(refusal), refusal.message) };
    }
  }
}
