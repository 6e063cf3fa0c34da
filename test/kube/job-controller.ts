// The fake cluster's Job machinery: the API server's Job defaulting and deletion semantics,
// the Job controller (one pod at a time from the template, status counts, the terminal
// conditions, activeDeadlineSeconds), the TTL-after-finished controller and the garbage
// collector for pods whose Job went.
//
// Deletion follows `propagationPolicy`: Background removes the Job now and its pods after
// (gracefully); Foreground keeps the Job, marked with a deletionTimestamp and the
// foregroundDeletion finalizer, until its pods are gone; Orphan (what batch/v1 does when a
// client names no policy) removes the Job and leaves its pods running.
import { randomUUID } from "node:crypto";
import {
  type Condition,
  type ConditionUpdate,
  hasCondition,
  now,
  setConditions,
} from "./conditions.ts";
import type { Kubelet } from "./kubelet.ts";
import { ApiError, conflict, failure, success } from "./status.ts";
import type { Store, StoredObject } from "./store.ts";

export type PropagationPolicy = "Background" | "Foreground" | "Orphan";

export interface DeleteRequest {
  propagationPolicy?: string;
  gracePeriodSeconds?: number;
  uid?: string;
  resourceVersion?: string;
}

export interface JobController {
  /** Defaults a validated Job as the API server does and stores it. */
  create(namespace: string, body: StoredObject): StoredObject;
  /** DELETE on a Job: the HTTP code and body the API server answers with. */
  delete(namespace: string, name: string, request: DeleteRequest): { code: number; body: unknown };
  close(): void;
}

interface JobState {
  counted: Set<string>;
  /** Pods seen for this Job: one that vanishes before it ended counts as failed. */
  known: Set<string>;
  deadlineTimer?: NodeJS.Timeout;
  deadlineExceeded: boolean;
  ttlTimer?: NodeJS.Timeout;
}

const NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
const randomSuffix = () =>
  Array.from(
    { length: 5 },
    () => NAME_ALPHABET[Math.floor(Math.random() * NAME_ALPHABET.length)],
  ).join("");

const ownerUid = (pod: StoredObject) =>
  pod.metadata.ownerReferences?.find((o) => o.kind === "Job" && o.controller)?.uid;
const isTerminal = (pod: StoredObject) =>
  pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";

export function createJobController(options: {
  store: Store;
  kubelet: Kubelet;
  /** A ResourceQuota on pods per namespace: past it the controller cannot create pods. */
  podQuota?: number;
}): JobController {
  const { store, kubelet } = options;
  const states = new Map<string, JobState>();
  let queued = false;
  const kick = () => {
    if (queued) return;
    queued = true;
    setImmediate(reconcileAll);
  };

  const stateOf = (uid: string) => {
    let state = states.get(uid);
    if (!state) {
      state = { counted: new Set(), known: new Set(), deadlineExceeded: false };
      states.set(uid, state);
    }
    return state;
  };

  const deletePod = (pod: StoredObject) => {
    if (pod.metadata.deletionTimestamp) return;
    try {
      kubelet.deletePod(pod.metadata.namespace, pod.metadata.name, {});
    } catch (error: unknown) {
      // Gone meanwhile (a 404): that is what was wanted.
      if (!(error instanceof ApiError) || error.status.code !== 404) throw error;
    }
  };

  const createPod = (job: StoredObject) => {
    const template = job.spec.template ?? {};
    const base = job.metadata.name.slice(0, 57);
    const podSpec = structuredClone(template.spec ?? {});
    podSpec.terminationGracePeriodSeconds ??= 30;
    podSpec.dnsPolicy ??= "ClusterFirst";
    podSpec.schedulerName ??= "default-scheduler";
    podSpec.serviceAccountName ??= "default";
    podSpec.securityContext ??= {};
    for (const container of podSpec.containers ?? []) {
      container.terminationMessagePath ??= "/dev/termination-log";
      container.imagePullPolicy ??= /:latest$|^[^:]*$/.test(container.image ?? "")
        ? "Always"
        : "IfNotPresent";
    }
    store.create("pods", {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: `${base}-${randomSuffix()}`,
        namespace: job.metadata.namespace,
        labels: { ...(template.metadata?.labels ?? {}) },
        annotations: { ...(template.metadata?.annotations ?? {}) },
        ownerReferences: [
          {
            apiVersion: "batch/v1",
            kind: "Job",
            name: job.metadata.name,
            uid: job.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: podSpec,
      status: { phase: "Pending", qosClass: "Guaranteed" },
    });
  };

  const finishedAt = (job: StoredObject): number | null => {
    const conditions: Condition[] = job.status?.conditions ?? [];
    const terminal = conditions.find(
      (c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True",
    );
    return terminal ? Date.parse(terminal.lastTransitionTime) : null;
  };

  const reconcileJob = (job: StoredObject, pods: StoredObject[]) => {
    const { namespace, name, uid } = job.metadata;
    const state = stateOf(uid);
    const owned = pods.filter((p) => ownerUid(p) === uid);

    if (job.metadata.deletionTimestamp) {
      for (const pod of owned) deletePod(pod);
      if (owned.length === 0) store.remove("jobs", namespace, name);
      return;
    }

    const done = finishedAt(job);
    if (done !== null) {
      const ttl = job.spec.ttlSecondsAfterFinished;
      if (typeof ttl === "number" && !state.ttlTimer) {
        state.ttlTimer = setTimeout(
          () => {
            // The TTL controller deletes in the foreground: the Job goes once its pods have.
            try {
              controller.delete(namespace, name, { propagationPolicy: "Foreground", uid });
            } catch (error: unknown) {
              if (!(error instanceof ApiError)) throw error;
            }
          },
          Math.max(0, done + ttl * 1000 - Date.now()),
        ).unref();
      }
      return;
    }

    const startTime: string = job.status?.startTime ?? now();
    const deadline = job.spec.activeDeadlineSeconds;
    if (typeof deadline === "number" && !state.deadlineTimer) {
      state.deadlineTimer = setTimeout(
        () => {
          state.deadlineExceeded = true;
          kick();
        },
        Math.max(0, Date.parse(startTime) + deadline * 1000 - Date.now()),
      ).unref();
    }

    let succeeded: number = job.status?.succeeded ?? 0;
    let failed: number = job.status?.failed ?? 0;
    const present = new Set(owned.map((p) => p.metadata.uid));
    for (const pod of owned) {
      state.known.add(pod.metadata.uid);
      if (isTerminal(pod) && !state.counted.has(pod.metadata.uid)) {
        state.counted.add(pod.metadata.uid);
        if (pod.status.phase === "Succeeded") succeeded += 1;
        else failed += 1;
      }
    }
    for (const known of state.known)
      if (!present.has(known) && !state.counted.has(known)) {
        state.counted.add(known);
        failed += 1;
      }

    const active = owned.filter((p) => !isTerminal(p) && !p.metadata.deletionTimestamp);
    const terminating = owned.filter((p) => !isTerminal(p) && p.metadata.deletionTimestamp);
    const backoffLimit: number = job.spec.backoffLimit ?? 6;
    const completions: number = job.spec.completions ?? 1;
    let failure: ConditionUpdate | null = null;
    if (state.deadlineExceeded)
      failure = {
        type: "FailureTarget",
        status: "True",
        reason: "DeadlineExceeded",
        message: "Job was active longer than specified deadline",
      };
    else if (failed > backoffLimit)
      failure = {
        type: "FailureTarget",
        status: "True",
        reason: "BackoffLimitExceeded",
        message: "Job has reached the specified backoff limit",
      };
    const previousFailure = (job.status?.conditions ?? []).find(
      (c: Condition) => c.type === "FailureTarget",
    );
    if (previousFailure) failure = { ...previousFailure, type: "FailureTarget" } as ConditionUpdate;

    const conditions: ConditionUpdate[] = [];
    let completionTime: string | undefined = job.status?.completionTime;
    if (failure) {
      for (const pod of active) deletePod(pod);
      conditions.push(failure);
      // The terminal condition waits until no pod of the Job is left running.
      if (active.length === 0 && terminating.length === 0)
        conditions.push({ ...failure, type: "Failed" });
    } else if (succeeded >= completions) {
      conditions.push({
        type: "SuccessCriteriaMet",
        status: "True",
        reason: "CompletionsReached",
        message: "Reached expected number of succeeded pods",
      });
      if (active.length === 0 && terminating.length === 0) {
        conditions.push({
          type: "Complete",
          status: "True",
          reason: "CompletionsReached",
          message: "Reached expected number of succeeded pods",
        });
        completionTime ??= now();
      }
    } else if (active.length === 0 && terminating.length === 0 && !job.spec.suspend) {
      // Over quota the API server refuses the pod (403 exceeded quota): the Job only shows
      // a FailedCreate event, and the controller tries again later.
      const quota = options.podQuota ?? Number.POSITIVE_INFINITY;
      if (store.list("pods", namespace).length < quota) createPod(job);
    }

    store.update("jobs", namespace, name, (j) => {
      const ready = active.filter((p) => hasCondition(p.status?.conditions, "Ready")).length;
      j.status = {
        startTime,
        ...(active.length > 0 ? { active: active.length } : {}),
        ready,
        terminating: terminating.length,
        ...(succeeded > 0 ? { succeeded } : {}),
        ...(failed > 0 ? { failed } : {}),
        ...(completionTime ? { completionTime } : {}),
        uncountedTerminatedPods: {},
        ...(conditions.length > 0 || j.status?.conditions
          ? { conditions: setConditions(j.status?.conditions, conditions, true) }
          : {}),
      };
    });
  };

  function reconcileAll() {
    queued = false;
    const jobs = store.list("jobs");
    const pods = store.list("pods");
    const jobUids = new Set(jobs.map((j) => j.metadata.uid));
    for (const job of jobs) reconcileJob(job, pods);
    // The garbage collector: pods whose owning Job is gone go too.
    for (const pod of pods) {
      const owner = ownerUid(pod);
      if (owner && !jobUids.has(owner)) deletePod(pod);
    }
    for (const [uid, state] of states)
      if (!jobUids.has(uid)) {
        clearTimeout(state.deadlineTimer);
        clearTimeout(state.ttlTimer);
        states.delete(uid);
      }
  }

  const unsubscribe = store.subscribe(kick);

  const controller: JobController = {
    create(namespace, body) {
      const uid = randomUUID();
      const spec = structuredClone(body.spec ?? {});
      spec.completions ??= 1;
      spec.parallelism ??= 1;
      spec.backoffLimit ??= 6;
      spec.completionMode ??= "NonIndexed";
      spec.suspend ??= false;
      spec.podReplacementPolicy ??= "TerminatingOrFailed";
      spec.manualSelector = undefined;
      const selectorLabels = {
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": body.metadata.name,
        "controller-uid": uid,
        "job-name": body.metadata.name,
      };
      spec.selector = { matchLabels: { "batch.kubernetes.io/controller-uid": uid } };
      spec.template = spec.template ?? {};
      spec.template.metadata = {
        ...(spec.template.metadata ?? {}),
        labels: { ...(spec.template.metadata?.labels ?? {}), ...selectorLabels },
      };
      return store.create("jobs", {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { ...body.metadata, namespace, uid },
        spec,
        status: {},
      });
    },

    delete(namespace, name, request) {
      const job = store.read("jobs", namespace, name);
      if (request.uid !== undefined && request.uid !== job.metadata.uid)
        throw conflict(
          "jobs",
          "batch",
          name,
          `Precondition failed: UID in precondition: ${request.uid}, UID in object meta: ${job.metadata.uid}`,
        );
      if (
        request.resourceVersion !== undefined &&
        request.resourceVersion !== job.metadata.resourceVersion
      )
        throw conflict(
          "jobs",
          "batch",
          name,
          `Precondition failed: ResourceVersion in precondition: ${request.resourceVersion}, ResourceVersion in object meta: ${job.metadata.resourceVersion}`,
        );
      const policy = request.propagationPolicy ?? "Orphan";
      const gone = success({ name, group: "batch", kind: "jobs", uid: job.metadata.uid });
      switch (policy) {
        case "Orphan":
          for (const pod of store.list("pods", namespace))
            if (ownerUid(pod) === job.metadata.uid)
              store.update("pods", namespace, pod.metadata.name, (p) => {
                p.metadata.ownerReferences = p.metadata.ownerReferences?.filter(
                  (o) => o.uid !== job.metadata.uid,
                );
              });
          store.remove("jobs", namespace, name);
          return { code: 200, body: gone };
        case "Background":
          store.remove("jobs", namespace, name);
          return { code: 200, body: gone };
        case "Foreground": {
          const marked =
            store.update("jobs", namespace, name, (j) => {
              j.metadata.deletionTimestamp ??= now();
              j.metadata.deletionGracePeriodSeconds ??= 0;
              j.metadata.finalizers = [
                ...new Set([...(j.metadata.finalizers ?? []), "foregroundDeletion"]),
              ];
            }) ?? job;
          return { code: 202, body: marked };
        }
        default:
          throw new ApiError(
            failure(
              422,
              "Invalid",
              `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`,
            ),
          );
      }
    },

    close() {
      unsubscribe();
      for (const state of states.values()) {
        clearTimeout(state.deadlineTimer);
        clearTimeout(state.ttlTimer);
      }
      states.clear();
    },
  };
  return controller;
}
