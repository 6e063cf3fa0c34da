// One run on Kubernetes, from its Job's creation (or adoption) to its end. The run is
// followed through two watches, the Job's and its pods' (no polling), and judged from what
// they report:
// - phases from the pod: PREPARING while pending or pulling, RUNNING once the container
//   runs (the time limit counts from there), EXITED at the end;
// - the pod's status decides how it went (exit code, OOMKilled, an image that cannot be
//   pulled, a container that cannot be made, a pod no node takes); the Job's conditions
//   add what only the Job knows (DeadlineExceeded);
// - its log is followed into container.log and the event stream, and read to the end
//   before the outcome is decided final.
//
// At the end the executor deletes the Job itself (propagationPolicy Background) and the
// outcome resolves once the Job and its pod are gone: the run's cluster resources are free
// when the worker moves on, and a cancelled or timed-out run stops now, not when a TTL
// fires. ttlSecondsAfterFinished (and activeDeadlineSeconds for a Job still running) only
// cover Jobs no worker is left to delete: one that crashed, or lost the API server.
import { truncate } from "node:fs/promises";
import path from "node:path";
import { createEventChannel } from "../run/event-channel.ts";
import { failed, STOP_CODES, stopMessage } from "../run/outcomes.ts";
import { limitsOf, openRunLog, outcomeFields, type RunLog } from "../run/run-log.ts";
import type { ExecutionErrorCode, RunHandle, RunOutcome, RunRequest } from "../types.ts";
import { createOrAttach, type JobJson } from "./create-job.ts";
import {
  apiError,
  jobFailureOutcome,
  type KubeApiError,
  podFailure,
  type TerminatedState,
  terminatedOutcome,
  unschedulableOutcome,
  waitingFailure,
} from "./failures.ts";
import { CONTAINER_NAME } from "./job-manifest.ts";
import type { KubeClient } from "./kube-client.ts";
import { jobName } from "./naming.ts";
import type { ResolvedOptions } from "./options.ts";
import { followPodLog, type LogFollower } from "./pod-logs.ts";
import { sampleUsage, type UsageSampler } from "./pod-usage.ts";
import { asJson, type KubeObject, type ObjectWatch, watchObjects } from "./watch-objects.ts";

interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: TerminatedState & { startedAt?: string; finishedAt?: string };
}

type PodJson = KubeObject & {
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: { name: string; state?: ContainerState }[];
  };
};

export interface RunDeps {
  client: KubeClient;
  options: ResolvedOptions;
  isClosed(): boolean;
}

export type RunStart = { kind: "create" } | { kind: "adopt"; job: JobJson };

/** How long the end of a run waits for its log, its Job's verdict, its pod to go. */
const LOG_DRAIN_MS = 30_000;
const JOB_VERDICT_MS = 5_000;
const GONE_EXTRA_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const bounded = (work: Promise<unknown>, ms: number) => Promise.race([work, sleep(ms)]);

const condition = (job: JobJson | null, type: string) =>
  job?.status?.conditions?.find((c) => c.type === type && c.status === "True");

/** Is this pod one of the Job's (and not of an older Job of the same name)? */
const ownedBy = (pod: PodJson, uid: string) =>
  pod.metadata?.ownerReferences?.some((o) => o.uid === uid) === true ||
  pod.metadata?.labels?.["batch.kubernetes.io/controller-uid"] === uid ||
  pod.metadata?.labels?.["controller-uid"] === uid;

export function startKubernetesRun(deps: RunDeps, request: RunRequest, start: RunStart): RunHandle {
  const { client, options } = deps;
  const namespace = options.namespace;
  const name = jobName(request.jobId, request.attempt);
  const channel = createEventChannel();
  let stopCode: ExecutionErrorCode | null = null;
  let onStop = () => {};
  const facts = {
    podName: null as string | null,
    node: null as string | null,
    jobUid: null as string | null,
    cleanup: "",
  };
  let sampler: UsageSampler | null = null;
  let startedAt: number | null = null;

  const stopOutcome = () =>
    stopCode
      ? failed(stopCode, stopMessage(stopCode, limitsOf(request), sampler?.peakBytes ?? null))
      : null;

  /** Follows the Job until it ends and is gone; resolves with how it went. */
  const track = (job: JobJson, log: RunLog): Promise<RunOutcome> =>
    new Promise<RunOutcome>((resolve) => {
      const uid = job.metadata?.uid ?? "";
      facts.jobUid = uid;
      let latestJob: JobJson | null = job;
      let jobGone = false;
      let apiLost = false;
      const pods = new Map<string, PodJson>();
      const podsGone = new Set<string>();
      let verdict: RunOutcome | null = null;
      let runningSeenAt: number | null = null;
      let endedSeenAt: number | null = null;
      let limitTimer: NodeJS.Timeout | undefined;
      let unschedulableSince: number | null = null;
      let unschedulableTimer: NodeJS.Timeout | undefined;
      let verdictTimer: NodeJS.Timeout | undefined;
      let followers: LogFollower[] = [];
      let followedPod: string | null = null;
      let goneWaiter: (() => void) | null = null;

      const elapsed = () =>
        runningSeenAt === null ? 0 : (endedSeenAt ?? Date.now()) - runningSeenAt;

      const allGone = () =>
        (jobGone || apiLost) && [...pods.keys()].every((p) => podsGone.has(p) || apiLost);

      const lost = (error: KubeApiError) => {
        apiLost = true;
        decide(
          failed(
            "EXECUTOR_UNAVAILABLE",
            `lost the Kubernetes API (${error.message}); Job ${name} is left to its activeDeadlineSeconds and ttlSecondsAfterFinished`,
          ),
          "now",
        );
        goneWaiter?.();
      };

      const startFollowing = (podName: string) => {
        if (followedPod === podName) return;
        followedPod = podName;
        const streams = options.splitLogStreams ? (["Stdout", "Stderr"] as const) : [null];
        followers = streams.map((stream) =>
          followPodLog({
            client,
            namespace,
            pod: podName,
            container: CONTAINER_NAME,
            stream,
            onLine: (which, line) => log.line(which, line),
            onLost: (error) => log.line("stderr", `[log incomplete: ${error.message}]`),
            retryMs: options.apiRetryMs,
          }),
        );
      };

      const markRunning = (pod: PodJson, startedText: string | undefined) => {
        if (runningSeenAt !== null) return;
        runningSeenAt = Date.now();
        startedAt = runningSeenAt;
        channel.push({ type: "phase", phase: "RUNNING", at: runningSeenAt });
        // An adopted run started before this worker saw it: the limit counts from then.
        const since =
          start.kind === "adopt" ? Date.parse(startedText ?? "") || runningSeenAt : runningSeenAt;
        limitTimer = setTimeout(
          () => {
            stopCode ??= "TIME_LIMIT_EXCEEDED";
            evaluate();
          },
          Math.max(0, request.timeLimitMs - (Date.now() - since)),
        );
        const podName = pod.metadata?.name ?? "";
        startFollowing(podName);
        sampler = sampleUsage({
          client,
          namespace,
          pod: podName,
          everyMs: options.usageSampleMs,
          onSample: (sample) => channel.push({ type: "usage", ...sample }),
        });
      };

      const decide = (outcome: RunOutcome, when: "now" | "after-logs") => {
        if (verdict) return;
        verdict =
          outcome.ok || outcome.durationMs ? outcome : { ...outcome, durationMs: elapsed() };
        clearTimeout(limitTimer);
        clearTimeout(unschedulableTimer);
        clearTimeout(verdictTimer);
        sampler?.stop();
        void teardown(verdict, when);
      };

      async function teardown(outcome: RunOutcome, when: "now" | "after-logs") {
        const drained = Promise.all(followers.map((f) => f.done));
        // A run that ended by itself has its whole log to read before the pod goes.
        if (when === "after-logs") await bounded(drained, LOG_DRAIN_MS);
        facts.cleanup = apiLost ? "left to the cluster" : await deleteJob();
        if (facts.cleanup === "deleted")
          await bounded(
            new Promise<void>((done) => {
              goneWaiter = done;
              if (allGone()) done();
            }),
            options.terminationGracePeriodSeconds * 1000 + GONE_EXTRA_MS,
          );
        await bounded(drained, when === "now" ? 5000 : 0);
        for (const follower of followers) follower.stop();
        jobWatch.stop();
        podWatch.stop();
        resolve(outcome);
      }

      /** Deletes the Job (its pod with it); "deleted", or why it was left. */
      async function deleteJob(): Promise<string> {
        const giveUpAt = Date.now() + options.apiRetryMs;
        for (;;) {
          try {
            await client.batch.deleteNamespacedJob({
              name,
              namespace,
              propagationPolicy: "Background",
              // Never a Job of the same name made after this one.
              body: { preconditions: { uid } },
            });
            return "deleted";
          } catch (error: unknown) {
            const refusal = apiError(error, `deleting Job ${name}`);
            // 404: already gone; 409: the name now belongs to another Job (ours is gone).
            if (refusal.code === 404 || refusal.code === 409) {
              jobGone = true;
              return "deleted";
            }
            if (!refusal.transient || Date.now() > giveUpAt)
              return `left to ttlSecondsAfterFinished (${refusal.message})`;
            await sleep(500);
          }
        }
      }

      /** Tells the log followers how far the container is: they read on or finish. */
      const inform = (current: PodJson | null, state: ContainerState | undefined) => {
        const progress = podsGone.has(current?.metadata?.name ?? "")
          ? "gone"
          : state?.terminated
            ? "ended"
            : state?.running
              ? "running"
              : null;
        if (progress) for (const follower of followers) follower.update(progress);
      };

      function evaluate(): void {
        const current = [...pods.values()].at(-1) ?? null;
        const state = current?.status?.containerStatuses?.find(
          (c) => c.name === CONTAINER_NAME,
        )?.state;
        if (verdict) {
          inform(current, state);
          if (allGone()) goneWaiter?.();
          return;
        }
        const stop = stopOutcome();
        if (stop) {
          decide(stop, "now");
          return;
        }

        // No node takes the pod, or no pod appears at all (a ResourceQuota or an admission
        // check refusing it shows only in the Job's events): either way, not for ever.
        const scheduled = current?.status?.conditions?.find((c) => c.type === "PodScheduled");
        const stuck =
          current === null
            ? `no pod was created for Job ${name} (a ResourceQuota or an admission check may refuse it: see its events)`
            : scheduled?.status === "False" && scheduled.reason === "Unschedulable"
              ? (scheduled.message ?? "Unschedulable")
              : null;
        if (stuck !== null && !jobGone) {
          unschedulableSince ??= Date.now();
          clearTimeout(unschedulableTimer);
          const bound = options.unschedulableTimeoutSeconds;
          unschedulableTimer = setTimeout(
            () => decide(unschedulableOutcome(stuck, bound), "now"),
            Math.max(0, unschedulableSince + bound * 1000 - Date.now()),
          );
        } else {
          unschedulableSince = null;
          clearTimeout(unschedulableTimer);
        }
        if (current) {
          facts.podName = current.metadata?.name ?? null;
          facts.node = current.spec?.nodeName ?? facts.node;
          if (state?.waiting?.reason) {
            const refused = waitingFailure(state.waiting.reason, state.waiting.message);
            if (refused) {
              decide(refused, "now");
              return;
            }
          }
          if (state?.running) markRunning(current, state.running.startedAt);
          if (state?.terminated && state.terminated.reason !== "StartError")
            markRunning(current, state.terminated.startedAt);
          if (state?.terminated) endedSeenAt ??= Date.now();
          inform(current, state);
        }

        const verdictNow = judge(current, state?.terminated);
        if (verdictNow) decide(verdictNow.outcome, verdictNow.when);
      }

      /** The run's outcome from the pod's end and the Job's conditions; null while open. */
      function judge(
        pod: PodJson | null,
        terminated: ContainerState["terminated"],
      ): { outcome: RunOutcome; when: "now" | "after-logs" } | null {
        const jobFailed = condition(latestJob, "Failed") ?? condition(latestJob, "FailureTarget");
        const jobSucceeded =
          condition(latestJob, "Complete") ?? condition(latestJob, "SuccessCriteriaMet");
        // The deadline killed the pod: its exit code (137) says less than the Job does.
        if (jobFailed?.reason === "DeadlineExceeded")
          return { outcome: jobFailureOutcome(jobFailed.reason, jobFailed.message), when: "now" };
        // The node took the pod away (eviction, preemption, shutdown): not the command's doing.
        const taken = pod
          ? podFailure(pod.status?.phase, pod.status?.reason, pod.status?.message)
          : null;
        if (taken) return { outcome: taken, when: "after-logs" };
        if (terminated) {
          const outcome = terminatedOutcome(terminated, elapsed());
          if (jobFailed || jobSucceeded || jobGone) return { outcome, when: "after-logs" };
          // The pod has ended; the Job's conditions follow shortly (and may say more).
          verdictTimer ??= setTimeout(() => decide(outcome, "after-logs"), JOB_VERDICT_MS);
          return null;
        }
        if (jobFailed)
          return {
            outcome: jobFailureOutcome(jobFailed.reason ?? "Failed", jobFailed.message),
            when: "now",
          };
        if (jobSucceeded)
          return { outcome: { ok: true, exitCode: 0, durationMs: elapsed() }, when: "after-logs" };
        if (jobGone)
          return {
            outcome: failed(
              "EXECUTOR_UNAVAILABLE",
              `Job ${name} was deleted by someone else before it ended`,
            ),
            when: "now",
          };
        return null;
      }

      const jobWatch: ObjectWatch = watchObjects<JobJson>({
        client,
        path: `/apis/batch/v1/namespaces/${namespace}/jobs`,
        fieldSelector: `metadata.name=${name}`,
        list: async () => {
          const list = await client.batch.listNamespacedJob({
            namespace,
            fieldSelector: `metadata.name=${name}`,
          });
          return {
            items: asJson<JobJson[]>(list.items),
            resourceVersion: list.metadata?.resourceVersion ?? "",
          };
        },
        onEvent: (type, object) => {
          if (object.metadata?.uid !== uid) {
            // Listed again and ours is not there: it went while we did not watch.
            return;
          }
          if (type === "DELETED") jobGone = true;
          else latestJob = object;
          evaluate();
        },
        onLost: lost,
        retryMs: options.apiRetryMs,
      });
      const podWatch: ObjectWatch = watchObjects<PodJson>({
        client,
        path: `/api/v1/namespaces/${namespace}/pods`,
        labelSelector: `job-name=${name}`,
        list: async () => {
          const list = await client.core.listNamespacedPod({
            namespace,
            labelSelector: `job-name=${name}`,
          });
          return {
            items: asJson<PodJson[]>(list.items),
            resourceVersion: list.metadata?.resourceVersion ?? "",
          };
        },
        onEvent: (type, pod) => {
          if (!ownedBy(pod, uid)) return;
          const podName = pod.metadata?.name ?? "";
          pods.set(podName, pod);
          if (type === "DELETED") podsGone.add(podName);
          evaluate();
        },
        onLost: lost,
        retryMs: options.apiRetryMs,
      });
      // A Job that vanished from a relist is reported as DELETED with its uid: handled above.
      onStop = evaluate;
      evaluate();
    });

  const run = async (): Promise<RunOutcome> => {
    const began = Date.now();
    channel.push({ type: "phase", phase: "PREPARING", at: began });
    let log: RunLog;
    try {
      log = await openRunLog(request.logDir, channel, options.logCapBytes);
    } catch (error: unknown) {
      channel.push({ type: "phase", phase: "EXITED", at: Date.now() });
      channel.end();
      return failed(
        "EXECUTOR_UNAVAILABLE",
        `cannot write the run's log in ${request.logDir}: ${String(error)}`,
      );
    }
    const outcome = await (async (): Promise<RunOutcome> => {
      if (deps.isClosed()) return failed("EXECUTOR_UNAVAILABLE", "the executor is shut down");
      let job: JobJson;
      let attached = true;
      if (start.kind === "adopt") job = start.job;
      else {
        const made = await createOrAttach(client, options, request, stopOutcome);
        if ("outcome" in made) return made.outcome;
        ({ job, attached } = made);
      }
      // A run taken over is read again from its start: its log is rewritten, not doubled.
      // (The file is open for appending; nothing is written to it before this.)
      if (attached) await truncate(path.join(request.logDir, "container.log"), 0);
      return await track(job, log);
    })().catch((error: unknown) =>
      failed(
        "EXECUTOR_UNAVAILABLE",
        `the Kubernetes executor failed: ${apiError(error, "running").message}`,
      ),
    );
    channel.push({ type: "phase", phase: "EXITED", at: Date.now() });
    await log.close();
    const peak = (sampler as UsageSampler | null)?.peakBytes ?? null;
    await log
      .writeInfo({
        jobId: request.jobId,
        attempt: request.attempt,
        executor: "KUBERNETES",
        image: request.image,
        command: request.command,
        startedAt: startedAt === null ? null : new Date(startedAt).toISOString(),
        finishedAt: new Date().toISOString(),
        ...outcomeFields(outcome),
        peakMemoryMb: peak === null ? null : Math.round((peak / 1024 / 1024) * 10) / 10,
        limits: limitsOf(request),
        details: {
          namespace,
          jobName: name,
          jobUid: facts.jobUid,
          podName: facts.podName,
          node: facts.node,
          cleanup: facts.cleanup || "nothing was created",
        },
      })
      .catch(() => {
        // run_info.json is for people reading the workspace; a failure to write it must not
        // change the outcome the worker acts on (container.log has the same disk anyway).
      });
    channel.end();
    return outcome;
  };

  return {
    jobId: request.jobId,
    attempt: request.attempt,
    events: channel.events,
    outcome: run(),
    async stop(reason) {
      if (stopCode) return;
      stopCode = STOP_CODES[reason];
      onStop();
    },
  };
}
