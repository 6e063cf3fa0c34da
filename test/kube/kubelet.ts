// The fake node's kubelet: runs each pod bound to its node as a Docker container and
// reports what happens in the pod's status the way a kubelet does: ContainerCreating, an
// absent image as ErrImagePull then ImagePullBackOff (it never pulls), a container it will
// not create as CreateContainerConfigError, a command that cannot start as StartError,
// running, then terminated with the exit code (OOMKilled when the memory limit killed it).
// Deleting a pod is graceful: SIGTERM, SIGKILL after the grace period, then the object
// goes; a pod that has nothing running goes at once.
import { now, setConditions } from "./conditions.ts";
import type { ContainerLog } from "./container-log.ts";
import { createContainerLog } from "./container-log.ts";
import type { ContainerRuntime, RunningContainer } from "./docker-runtime.ts";
import {
  ContainerConfigError,
  type ContainerSpec,
  type PodSpec,
  planContainer,
} from "./pod-plan.ts";
import { badRequest, conflict } from "./status.ts";
import type { Store, StoredObject } from "./store.ts";

export interface KubeletOptions {
  store: Store;
  runtime: ContainerRuntime;
  nodeName: string;
  claims: Readonly<Record<string, string>>;
  /** Between ErrImagePull and ImagePullBackOff (and between later attempts). */
  imagePullBackoffMs: number;
  /** Extra time in ContainerCreating before the container is made (a slow node). */
  containerStartDelayMs: number;
}

export interface Kubelet {
  /** Deletes a pod as the API server and kubelet do together; returns what DELETE answers. */
  deletePod(
    namespace: string,
    name: string,
    options: { gracePeriodSeconds?: number; uid?: string },
  ): StoredObject;
  /** The log of a pod's container; a 400 while the container has not started. */
  log(namespace: string, name: string, container: string | null): ContainerLog;
  usage(
    namespace: string,
    name: string,
  ): Promise<{ container: string; cpuNanos: number; memoryBytes: number } | null>;
  close(): Promise<void>;
}

interface PodTask {
  uid: string;
  namespace: string;
  name: string;
  containerName: string;
  /** Set once deletion was asked for; `wake` then ends whatever pause the task is in. */
  deleting: boolean;
  /** The pod object is gone (force deletion): stop without writing status. */
  removed: boolean;
  sleepers: Set<() => void>;
  container: RunningContainer | null;
  running: boolean;
  log: ContainerLog | null;
  waitingReason: string;
  killTimer?: NodeJS.Timeout;
  done: Promise<void>;
}

const CLUSTER_ENV = {
  KUBERNETES_SERVICE_HOST: "10.96.0.1",
  KUBERNETES_SERVICE_PORT: "443",
};

export function createKubelet(options: KubeletOptions): Kubelet {
  const { store, runtime } = options;
  const tasks = new Map<string, PodTask>();

  const updatePod = (task: PodTask, change: (pod: StoredObject) => void) => {
    if (task.removed) return;
    store.update("pods", task.namespace, task.name, (pod) => {
      if (pod.metadata.uid === task.uid) change(pod);
    });
  };

  const containerStatus = (spec: ContainerSpec, state: object, extra: object = {}) => ({
    name: spec.name,
    image: spec.image,
    imageID: "",
    ready: false,
    restartCount: 0,
    started: false,
    state,
    ...extra,
  });

  const waiting = (task: PodTask, spec: ContainerSpec, reason: string, message?: string) => {
    task.waitingReason = reason;
    updatePod(task, (pod) => {
      pod.status = {
        ...pod.status,
        phase: "Pending",
        containerStatuses: [
          containerStatus(spec, { waiting: { reason, ...(message ? { message } : {}) } }),
        ],
      };
    });
  };

  /** Resolves after `ms`, or sooner when deletion is asked for. */
  const pause = (task: PodTask, ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        task.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      task.sleepers.add(done);
    });

  const wake = (task: PodTask) => {
    for (const sleeper of [...task.sleepers]) sleeper();
  };

  const untilDeleted = async (task: PodTask) => {
    while (!task.deleting) await pause(task, 60_000);
  };

  const removePod = (task: PodTask) => {
    tasks.delete(task.uid);
    if (task.removed) return;
    task.removed = true;
    const pod = store.get("pods", task.namespace, task.name);
    if (pod?.metadata.uid === task.uid) store.remove("pods", task.namespace, task.name);
    task.log?.end();
  };

  async function runPod(task: PodTask, pod: StoredObject): Promise<void> {
    const spec = pod.spec as PodSpec;
    const container = spec.containers[0] as ContainerSpec;
    updatePod(task, (p) => {
      p.status = {
        ...p.status,
        phase: "Pending",
        hostIP: "10.0.0.10",
        startTime: now(),
        conditions: setConditions(p.status?.conditions, [
          { type: "Initialized", status: "True" },
          {
            type: "Ready",
            status: "False",
            reason: "ContainersNotReady",
            message: `containers with unready status: [${container.name}]`,
          },
          {
            type: "ContainersReady",
            status: "False",
            reason: "ContainersNotReady",
            message: `containers with unready status: [${container.name}]`,
          },
        ]),
      };
    });
    waiting(task, container, "ContainerCreating");

    // The image: present on this machine, or a pull that fails (nothing is ever pulled).
    let image = await runtime.image(container.image);
    while (!image && !task.deleting) {
      if (container.imagePullPolicy === "Never") {
        waiting(
          task,
          container,
          "ErrImageNeverPull",
          `Container image "${container.image}" is not present with pull policy of Never`,
        );
      } else {
        waiting(
          task,
          container,
          "ErrImagePull",
          `failed to pull and unpack image "${container.image}": failed to resolve reference "${container.image}": not found`,
        );
        await pause(task, options.imagePullBackoffMs);
        if (task.deleting) break;
        waiting(task, container, "ImagePullBackOff", `Back-off pulling image "${container.image}"`);
      }
      await pause(task, options.imagePullBackoffMs);
      image = await runtime.image(container.image);
    }
    if (task.deleting || !image) return removePod(task);
    if (task.waitingReason !== "ContainerCreating") waiting(task, container, "ContainerCreating");
    if (options.containerStartDelayMs > 0) await pause(task, options.containerStartDelayMs);
    if (task.deleting) return removePod(task);

    let plan: Awaited<ReturnType<typeof planContainer>>;
    try {
      plan = await planContainer({
        podName: task.name,
        namespace: task.namespace,
        spec,
        container,
        imageUser: image.user,
        claims: options.claims,
        clusterEnv: CLUSTER_ENV,
      });
    } catch (error: unknown) {
      if (!(error instanceof ContainerConfigError)) throw error;
      waiting(task, container, "CreateContainerConfigError", error.message);
      await untilDeleted(task);
      return removePod(task);
    }
    try {
      task.container = await runtime.create(
        `k8s_${container.name}_${task.name}_${task.namespace}_${task.uid}_0`,
        plan,
        {
          "io.kubernetes.pod.name": task.name,
          "io.kubernetes.pod.namespace": task.namespace,
          "io.kubernetes.pod.uid": task.uid,
          "io.kubernetes.container.name": container.name,
        },
      );
    } catch (error: unknown) {
      waiting(task, container, "CreateContainerError", String((error as Error).message ?? error));
      await untilDeleted(task);
      return removePod(task);
    }
    if (task.deleting) {
      await task.container.remove();
      return removePod(task);
    }

    const log = createContainerLog();
    task.log = log;
    const containerID = `docker://${task.container.id}`;
    const imageID = `docker-pullable://${image.id}`;
    let startedAt: string;
    try {
      startedAt = await task.container.start((stream, chunk) => log.write(stream, chunk));
    } catch (error: unknown) {
      log.end();
      const message = String((error as Error).message ?? error).replace(
        /^\(HTTP code \d+\) \S+ - /,
        "",
      );
      updatePod(task, (p) => {
        p.status = {
          ...p.status,
          phase: "Failed",
          conditions: setConditions(p.status?.conditions, [
            { type: "Ready", status: "False", reason: "PodFailed" },
            { type: "ContainersReady", status: "False", reason: "PodFailed" },
          ]),
          containerStatuses: [
            containerStatus(
              container,
              {
                terminated: {
                  exitCode: 128,
                  reason: "StartError",
                  message,
                  startedAt: "1970-01-01T00:00:00Z",
                  finishedAt: now(),
                  containerID,
                },
              },
              { containerID, imageID },
            ),
          ],
        };
      });
      await task.container.remove();
      await untilDeleted(task);
      return removePod(task);
    }
    task.running = true;
    updatePod(task, (p) => {
      p.status = {
        ...p.status,
        phase: "Running",
        conditions: setConditions(p.status?.conditions, [
          { type: "Ready", status: "True" },
          { type: "ContainersReady", status: "True" },
        ]),
        containerStatuses: [
          containerStatus(
            container,
            { running: { startedAt: startedAt.replace(/\.\d+Z$/, "Z") } },
            {
              containerID,
              imageID,
              ready: true,
              started: true,
            },
          ),
        ],
      };
    });
    // A deletion asked for while the container was being started.
    if (task.deleting) {
      const grace = store.get("pods", task.namespace, task.name)?.metadata
        .deletionGracePeriodSeconds;
      void terminate(task, grace ?? 0);
    }

    const exit = await task.container.exited();
    task.running = false;
    clearTimeout(task.killTimer);
    log.end();
    const reason = exit.oomKilled ? "OOMKilled" : exit.exitCode === 0 ? "Completed" : "Error";
    updatePod(task, (p) => {
      p.status = {
        ...p.status,
        phase: exit.exitCode === 0 ? "Succeeded" : "Failed",
        conditions: setConditions(p.status?.conditions, [
          { type: "Ready", status: "False", reason: "PodCompleted" },
          { type: "ContainersReady", status: "False", reason: "PodCompleted" },
        ]),
        containerStatuses: [
          containerStatus(
            container,
            {
              terminated: {
                exitCode: exit.exitCode,
                reason,
                startedAt: exit.startedAt.replace(/\.\d+Z$/, "Z"),
                finishedAt: exit.finishedAt.replace(/\.\d+Z$/, "Z"),
                containerID,
              },
            },
            { containerID, imageID },
          ),
        ],
      };
    });
    await task.container.remove();
    await untilDeleted(task);
    removePod(task);
  }

  /** SIGTERM now, SIGKILL once the grace period is over. */
  async function terminate(task: PodTask, graceSeconds: number): Promise<void> {
    const container = task.container;
    if (!container || !task.running) return;
    if (graceSeconds <= 0) return container.kill("SIGKILL");
    await container.kill("SIGTERM");
    clearTimeout(task.killTimer);
    task.killTimer = setTimeout(() => {
      void container.kill("SIGKILL");
    }, graceSeconds * 1000);
  }

  const startTask = (pod: StoredObject) => {
    const task: PodTask = {
      uid: pod.metadata.uid,
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      containerName: (pod.spec as PodSpec).containers[0]?.name ?? "",
      deleting: false,
      removed: false,
      sleepers: new Set(),
      container: null,
      running: false,
      log: null,
      waitingReason: "",
      done: Promise.resolve(),
    };
    tasks.set(task.uid, task);
    task.done = runPod(task, pod).catch((error: unknown) => {
      // A runtime failure the kubelet cannot map: shown on the pod, as a kubelet would.
      waiting(
        task,
        (pod.spec as PodSpec).containers[0] as ContainerSpec,
        "RunContainerError",
        String(error),
      );
    });
  };

  const unsubscribe = store.subscribe((event) => {
    if (event.resource !== "pods") return;
    const pod = event.object;
    const task = tasks.get(pod.metadata.uid);
    if (event.type === "DELETED") {
      if (task && !task.removed) {
        task.removed = true;
        task.deleting = true;
        wake(task);
        void task.container?.kill("SIGKILL");
      }
      return;
    }
    if (
      !task &&
      (pod.spec as PodSpec).nodeName === options.nodeName &&
      !pod.metadata.deletionTimestamp
    )
      startTask(pod);
  });

  const podFor = (namespace: string, name: string) => {
    const pod = store.read("pods", namespace, name);
    return { pod, task: tasks.get(pod.metadata.uid) };
  };

  return {
    deletePod(namespace, name, { gracePeriodSeconds, uid }) {
      const { pod, task } = podFor(namespace, name);
      if (uid !== undefined && uid !== pod.metadata.uid)
        throw conflict(
          "pods",
          "",
          name,
          `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${pod.metadata.uid}`,
        );
      const grace = gracePeriodSeconds ?? (pod.spec as PodSpec).terminationGracePeriodSeconds ?? 30;
      if (!task?.running || grace === 0) {
        // Nothing runs (or a forced deletion): the object goes now; the task stops behind it.
        if (task) {
          task.deleting = true;
          wake(task);
          if (task.running) void task.container?.kill("SIGKILL");
        }
        return store.remove("pods", namespace, name) ?? pod;
      }
      if (pod.metadata.deletionTimestamp) return pod;
      const updated = store.update("pods", namespace, name, (p) => {
        p.metadata.deletionTimestamp = new Date(Date.now() + grace * 1000)
          .toISOString()
          .replace(/\.\d+Z$/, "Z");
        p.metadata.deletionGracePeriodSeconds = grace;
      });
      task.deleting = true;
      wake(task);
      void terminate(task, grace);
      return updated ?? pod;
    },
    log(namespace, name, containerName) {
      const { pod, task } = podFor(namespace, name);
      const spec = pod.spec as PodSpec;
      const names = spec.containers.map((c) => c.name);
      const chosen = containerName ?? (names.length === 1 ? names[0] : null);
      if (!chosen)
        throw badRequest(
          `a container name must be specified for pod ${name}, choose one of: [${names.join(" ")}]`,
        );
      if (!names.includes(chosen))
        throw badRequest(`container ${chosen} is not valid for pod ${name}`);
      if (!task?.log) {
        const reason = task?.waitingReason || "ContainerCreating";
        const shown = /Image/.test(reason) ? "trying and failing to pull image" : reason;
        throw badRequest(`container "${chosen}" in pod "${name}" is waiting to start: ${shown}`);
      }
      return task.log;
    },
    async usage(namespace, name) {
      const task = [...tasks.values()].find((t) => t.namespace === namespace && t.name === name);
      if (!task?.running || !task.container) return null;
      const usage = await task.container.usage();
      return usage ? { container: task.containerName, ...usage } : null;
    },
    async close() {
      unsubscribe();
      for (const task of tasks.values()) {
        task.removed = true;
        task.deleting = true;
        wake(task);
        task.log?.end();
        clearTimeout(task.killTimer);
      }
      await runtime.removeAll();
      await Promise.all([...tasks.values()].map((t) => t.done));
    },
  };
}
