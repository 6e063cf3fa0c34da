// The Kubernetes executor: each attempt runs as a batch/v1 Job in one namespace, made by
// this worker's node and labelled with it. What it guarantees:
// - one Job per (job, attempt), under a name derived from both: a restarted worker adopts
//   it instead of starting a second one, and a duplicate create re-attaches (409);
// - the pod runs under Pod Security "restricted", with no service account token, only the
//   request's mounts (subPaths of the workspace PVC) and only the request's variables;
// - the time limit counts from the container's start and is enforced here (the Job's
//   activeDeadlineSeconds is a backstop), memory by the kubelet (OOMKilled), and a pod no
//   node takes ends the run after a bound instead of waiting for ever;
// - a run's outcome resolves once its Job and pod are deleted (see run.ts).
import type { Executor, RunHandle, RunRequest } from "../types.ts";
import { belongsTo, type JobJson } from "./create-job.ts";
import { apiError } from "./failures.ts";
import { createKubeClient, loadKubeConfig } from "./kube-client.ts";
import { ANNOTATIONS, jobName, LABELS, labelValue } from "./naming.ts";
import { type KubernetesExecutorOptions, resolveOptions } from "./options.ts";
import { startKubernetesRun } from "./run.ts";
import { asJson } from "./watch-objects.ts";

export type { KubernetesExecutorOptions } from "./options.ts";

export function createKubernetesExecutor(input: KubernetesExecutorOptions): Executor {
  const options = resolveOptions(input);
  const client = createKubeClient(loadKubeConfig(options.cluster));
  const deps = { client, options, isClosed: () => closed };
  const live = new Map<string, RunHandle>();
  let closed = false;
  const key = (jobId: string, attempt: number) => `${jobId}:${attempt}`;
  const nodeSelector = `${LABELS.node}=${labelValue(options.nodeName)}`;

  const track = (request: RunRequest, handle: RunHandle): RunHandle => {
    const id = key(request.jobId, request.attempt);
    live.set(id, handle);
    void handle.outcome.finally(() => {
      if (live.get(id) === handle) live.delete(id);
    });
    return handle;
  };

  return {
    kind: "KUBERNETES",

    start(request) {
      return track(request, startKubernetesRun(deps, request, { kind: "create" }));
    },

    async adopt(request) {
      if (closed) return null;
      let job: JobJson;
      try {
        job = asJson<JobJson>(
          await client.batch.readNamespacedJob({
            name: jobName(request.jobId, request.attempt),
            namespace: options.namespace,
          }),
        );
      } catch (error: unknown) {
        const refusal = apiError(error, "looking for the run's Job");
        if (refusal.code === 404) return null;
        throw refusal;
      }
      // Only this node's Job of this very run: never another worker's, never a look-alike.
      const ours = job.metadata?.annotations?.[ANNOTATIONS.node] === options.nodeName;
      if (!belongsTo(job, request) || !ours) return null;
      return track(request, startKubernetesRun(deps, request, { kind: "adopt", job }));
    },

    async sweep(keep) {
      let removed = 0;
      let page: string | undefined;
      do {
        const list = await client.batch
          .listNamespacedJob({
            namespace: options.namespace,
            labelSelector: nodeSelector,
            limit: 200,
            _continue: page,
          })
          .catch((error: unknown) => {
            throw apiError(error, "listing this node's Jobs");
          });
        for (const item of asJson<JobJson[]>(list.items)) {
          const annotations = item.metadata?.annotations ?? {};
          const jobId = annotations[ANNOTATIONS.jobId];
          const attempt = Number(annotations[ANNOTATIONS.attempt]);
          // The label value may be shortened; the annotation is this node's exact name.
          if (annotations[ANNOTATIONS.node] !== options.nodeName || jobId === undefined) continue;
          if (item.metadata?.deletionTimestamp) continue;
          if (live.has(key(jobId, attempt)) || keep(jobId, attempt)) continue;
          try {
            await client.batch.deleteNamespacedJob({
              name: item.metadata?.name ?? "",
              namespace: options.namespace,
              propagationPolicy: "Background",
              body: { preconditions: { uid: item.metadata?.uid ?? "" } },
            });
            removed += 1;
          } catch (error: unknown) {
            const refusal = apiError(error, `deleting Job ${item.metadata?.name}`);
            // Gone meanwhile (404) or replaced by another Job of that name (409).
            if (refusal.code !== 404 && refusal.code !== 409) throw refusal;
          }
        }
        page = list.metadata?._continue || undefined;
      } while (page);
      return removed;
    },

    async health() {
      if (closed) return { healthy: false, message: "shut down", capacity: options.capacity };
      try {
        // Cheap, and proves what runs need: the API answers and lets us list Jobs here.
        await Promise.race([
          client.batch.listNamespacedJob({
            namespace: options.namespace,
            labelSelector: nodeSelector,
            limit: 1,
          }),
          new Promise((_, reject) =>
            setTimeout(() => reject(new Error("no answer within 5 s")), 5000).unref(),
          ),
        ]);
        return { healthy: true, capacity: options.capacity };
      } catch (error: unknown) {
        return {
          healthy: false,
          message: apiError(error, "checking the Kubernetes API").message,
          capacity: options.capacity,
        };
      }
    },

    async close() {
      closed = true;
      const runs = [...live.values()];
      await Promise.all(runs.map((run) => run.stop("SHUTDOWN")));
      await Promise.all(runs.map((run) => run.outcome));
    },
  };
}
