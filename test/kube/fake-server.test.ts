// The fake Kubernetes cluster, through the real @kubernetes/client-node: the API semantics
// the executor relies on (create, get, list with selectors, watch with resourceVersion and
// bookmarks, delete with propagation, Status objects for every refusal) and a kubelet that
// runs pods on Docker the way a node does. If the fake drifted from Kubernetes here, the
// executor's tests against it would prove nothing.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Job,
  Watch,
} from "@kubernetes/client-node";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeWithDocker } from "../helpers/docker.ts";
import { BUSYBOX_IMAGE } from "../images/build.ts";
import { type FakeKubernetes, startFakeKubernetes } from "./server.ts";
import { until } from "./until.ts";

const NS = "default";

function job(name: string, script: string, over: Record<string, unknown> = {}): V1Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, labels: { suite: "fake-server" } },
    spec: {
      backoffLimit: 0,
      template: {
        spec: {
          restartPolicy: "Never",
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: "run",
              image: BUSYBOX_IMAGE,
              command: ["sh", "-c", script],
              resources: { limits: { cpu: "250m", memory: "64Mi" } },
            },
          ],
        },
      },
      ...over,
    },
  };
}

async function refusal(promise: Promise<unknown>): Promise<{
  code: number;
  body: { reason?: string; message?: string; details?: { causes?: { field?: string }[] } };
}> {
  try {
    await promise;
  } catch (error: unknown) {
    if (!(error instanceof ApiException)) throw error;
    const body = typeof error.body === "string" ? JSON.parse(error.body) : error.body;
    return { code: error.code, body };
  }
  throw new Error("the call was not refused");
}

interface Collected {
  events: { type: string; object: { metadata?: { name?: string; resourceVersion?: string } } }[];
  ended: Promise<unknown>;
  stop(): void;
}

async function collect(
  kc: KubeConfig,
  apiPath: string,
  query: Record<string, string | boolean | number>,
): Promise<Collected> {
  const events: Collected["events"] = [];
  let finish: (error: unknown) => void = () => {};
  const ended = new Promise((resolve) => {
    finish = resolve;
  });
  const controller = await new Watch(kc).watch(
    apiPath,
    query,
    (type, object) => events.push({ type, object }),
    (error) => finish(error),
  );
  return { events, ended, stop: () => controller.abort() };
}

describeWithDocker("fake Kubernetes API server", () => {
  let fake: FakeKubernetes;
  let batch: BatchV1Api;
  let core: CoreV1Api;
  let kc: KubeConfig;
  const claimDir = mkdtempSync(path.join(os.tmpdir(), "autoscorer-fake-claim-"));

  beforeAll(async () => {
    fake = await startFakeKubernetes({
      claims: { workspace: claimDir },
      node: { cpuMillis: 2000, memoryMb: 1024 },
      bookmarkIntervalMs: 200,
      imagePullBackoffMs: 200,
    });
    kc = fake.kubeConfig();
    batch = kc.makeApiClient(BatchV1Api);
    core = kc.makeApiClient(CoreV1Api);
  });
  afterAll(async () => {
    await fake?.close();
    rmSync(claimDir, { recursive: true, force: true });
  });

  const podOf = async (jobName: string) =>
    until(`a pod for ${jobName}`, async () => {
      const pods = await core.listNamespacedPod({
        namespace: NS,
        labelSelector: `job-name=${jobName}`,
      });
      return pods.items[0];
    });

  describe("Jobs", () => {
    it("creates, gets and lists Jobs by label and by name; a second Job of the same name is 409", async () => {
      const created = await batch.createNamespacedJob({
        namespace: NS,
        body: job("listed-a", "true"),
      });
      await batch.createNamespacedJob({ namespace: NS, body: job("listed-b", "true") });
      expect(created.metadata?.uid).toBeTruthy();
      // The API server's defaulting: a selector on the controller's uid, labels on the template.
      expect(created.spec?.selector?.matchLabels?.["batch.kubernetes.io/controller-uid"]).toBe(
        created.metadata?.uid,
      );
      expect(created.spec?.template.metadata?.labels?.["job-name"]).toBe("listed-a");

      const read = await batch.readNamespacedJob({ name: "listed-a", namespace: NS });
      expect(read.metadata?.uid).toBe(created.metadata?.uid);
      const byLabel = await batch.listNamespacedJob({
        namespace: NS,
        labelSelector: "suite=fake-server",
      });
      expect(byLabel.items.map((j) => j.metadata?.name)).toEqual(
        expect.arrayContaining(["listed-a", "listed-b"]),
      );
      const byName = await batch.listNamespacedJob({
        namespace: NS,
        fieldSelector: "metadata.name=listed-b",
      });
      expect(byName.items.map((j) => j.metadata?.name)).toEqual(["listed-b"]);
      const none = await batch.listNamespacedJob({
        namespace: NS,
        labelSelector: "suite in (other,another)",
      });
      expect(none.items).toEqual([]);
      const paged = await batch.listNamespacedJob({
        namespace: NS,
        labelSelector: "suite=fake-server",
        limit: 1,
      });
      expect(paged.items).toHaveLength(1);
      expect(paged.metadata?._continue).toBeTruthy();

      const duplicate = await refusal(
        batch.createNamespacedJob({ namespace: NS, body: job("listed-a", "true") }),
      );
      expect(duplicate).toMatchObject({ code: 409, body: { reason: "AlreadyExists" } });
      expect(
        fake.acceptedJobs.filter((a) => (a.manifest as V1Job).metadata?.name === "listed-a"),
      ).toHaveLength(1);
    });

    it("answers 404 with a NotFound Status for a Job that is not there, and 400 for a bad selector", async () => {
      expect(
        await refusal(batch.readNamespacedJob({ name: "absent", namespace: NS })),
      ).toMatchObject({
        code: 404,
        body: { reason: "NotFound", message: 'jobs.batch "absent" not found' },
      });
      expect(
        await refusal(batch.deleteNamespacedJob({ name: "absent", namespace: NS })),
      ).toMatchObject({ code: 404 });
      expect(
        await refusal(batch.listNamespacedJob({ namespace: NS, fieldSelector: "spec.nope=1" })),
      ).toMatchObject({
        code: 400,
      });
      expect(
        await refusal(
          batch.createNamespacedJob({ namespace: "nowhere", body: job("lost", "true") }),
        ),
      ).toMatchObject({
        code: 404,
        body: { message: 'namespaces "nowhere" not found' },
      });
    });

    it("refuses an invalid Job with 422 Invalid naming the fields, and does not record it", async () => {
      const before = fake.acceptedJobs.length;
      const schema = job("bad-schema", "true", { backoffLimit: "zero" });
      const refusedSchema = await refusal(
        batch.createNamespacedJob({ namespace: NS, body: schema }),
      );
      expect(refusedSchema).toMatchObject({ code: 422, body: { reason: "Invalid" } });
      expect(refusedSchema.body.details?.causes?.map((c) => c.field)).toContain(
        "spec.backoffLimit",
      );

      const always = job("bad-restart", "true");
      if (always.spec?.template.spec) always.spec.template.spec.restartPolicy = "Always";
      const refusedRestart = await refusal(
        batch.createNamespacedJob({ namespace: NS, body: always }),
      );
      expect(refusedRestart.body.details?.causes?.map((c) => c.field)).toContain(
        "spec.template.spec.restartPolicy",
      );

      const outside = job("bad-subpath", "true");
      const spec = outside.spec?.template.spec;
      if (spec?.containers[0]) {
        spec.volumes = [{ name: "ws", persistentVolumeClaim: { claimName: "workspace" } }];
        spec.containers[0].volumeMounts = [
          { name: "ws", mountPath: "/workspace/x", subPath: "../etc" },
        ];
      }
      const refusedSubPath = await refusal(
        batch.createNamespacedJob({ namespace: NS, body: outside }),
      );
      expect(refusedSubPath.body.message).toContain("must not contain '..'");

      const long = job(`x${"y".repeat(63)}`, "true");
      expect(await refusal(batch.createNamespacedJob({ namespace: NS, body: long }))).toMatchObject(
        { code: 422 },
      );
      expect(fake.acceptedJobs.length).toBe(before);
    });

    it("refuses a client without the cluster's token", async () => {
      const response = await fetch(`${fake.url}/apis/batch/v1/namespaces/${NS}/jobs`);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ kind: "Status", reason: "Unauthorized" });
    });
  });

  describe("watches", () => {
    it("resumes from a resourceVersion with only the later changes, and sends BOOKMARKs", async () => {
      const start = await batch.listNamespacedJob({
        namespace: NS,
        fieldSelector: "metadata.name=watched",
      });
      const from = start.metadata?.resourceVersion ?? "";
      await batch.createNamespacedJob({ namespace: NS, body: job("watched", "true") });
      const finished = await until("the watched Job to complete", async () => {
        const read = await batch.readNamespacedJob({ name: "watched", namespace: NS });
        return read.status?.conditions?.some((c) => c.type === "Complete") ? read : null;
      });

      const all = await collect(kc, `/apis/batch/v1/namespaces/${NS}/jobs`, {
        resourceVersion: from,
        fieldSelector: "metadata.name=watched",
        allowWatchBookmarks: true,
      });
      await until("the replayed events and a bookmark", () =>
        all.events.some((e) => e.type === "BOOKMARK"),
      );
      all.stop();
      const replayed = all.events.filter((e) => e.type !== "BOOKMARK");
      expect(replayed[0]?.type).toBe("ADDED");
      expect(replayed.at(-1)?.object.metadata?.resourceVersion).toBe(
        finished.metadata?.resourceVersion,
      );
      const versions = replayed.map((e) => Number(e.object.metadata?.resourceVersion));
      expect(versions).toEqual([...versions].sort((a, b) => a - b));

      // From the middle: only what came after it.
      const middle = replayed[1]?.object.metadata?.resourceVersion ?? "";
      const later = await collect(kc, `/apis/batch/v1/namespaces/${NS}/jobs`, {
        resourceVersion: middle,
        fieldSelector: "metadata.name=watched",
        allowWatchBookmarks: true,
      });
      await until("a bookmark", () => later.events.some((e) => e.type === "BOOKMARK"));
      later.stop();
      expect(later.events.filter((e) => e.type !== "BOOKMARK")).toHaveLength(replayed.length - 2);
      const bookmark = later.events.find((e) => e.type === "BOOKMARK");
      expect(Number(bookmark?.object.metadata?.resourceVersion)).toBeGreaterThanOrEqual(
        Number(finished.metadata?.resourceVersion),
      );

      // Without a resourceVersion: the current state as synthetic ADDED events.
      const fresh = await collect(kc, `/apis/batch/v1/namespaces/${NS}/jobs`, {
        fieldSelector: "metadata.name=watched",
      });
      await until("the synthetic ADDED", () => fresh.events.length > 0);
      fresh.stop();
      expect(fresh.events[0]).toMatchObject({
        type: "ADDED",
        object: { metadata: { name: "watched" } },
      });
    });

    it("answers a watch from a compacted resourceVersion with a 410 Expired ERROR event", async () => {
      const start = await batch.listNamespacedJob({ namespace: NS });
      await batch.createNamespacedJob({ namespace: NS, body: job("compacted", "true") });
      fake.compact();
      const stale = await collect(kc, `/apis/batch/v1/namespaces/${NS}/jobs`, {
        resourceVersion: start.metadata?.resourceVersion ?? "",
      });
      await stale.ended;
      expect(stale.events).toEqual([
        expect.objectContaining({
          type: "ERROR",
          object: expect.objectContaining({ code: 410, reason: "Expired" }),
        }),
      ]);
      const invalidVersion = await collect(kc, `/apis/batch/v1/namespaces/${NS}/jobs`, {
        resourceVersion: "abc",
      });
      expect(await invalidVersion.ended).toMatchObject({ statusCode: 400 });
    });

    it("ends a watch at timeoutSeconds", async () => {
      const short = await collect(kc, `/api/v1/namespaces/${NS}/pods`, { timeoutSeconds: 1 });
      const started = Date.now();
      await short.ended;
      expect(Date.now() - started).toBeLessThan(3000);
    });
  });

  describe("deletion", () => {
    it("Background removes the Job at once and its pod after; the pod's container is killed", async () => {
      await batch.createNamespacedJob({
        namespace: NS,
        body: job("bg", "trap '' TERM; sleep 60 & wait"),
      });
      const pod = await podOf("bg");
      await until("the pod to run", async () => {
        const read = await core.readNamespacedPod({
          name: pod.metadata?.name ?? "",
          namespace: NS,
        });
        return read.status?.phase === "Running";
      });
      const status = await batch.deleteNamespacedJob({
        name: "bg",
        namespace: NS,
        propagationPolicy: "Background",
      });
      expect(status).toMatchObject({ status: "Success" });
      expect(fake.jobs().some((j) => j.metadata.name === "bg")).toBe(false);
      // The pod ignores SIGTERM; its grace period is 1 s, then SIGKILL.
      await until(
        "the pod to go",
        () => !fake.pods().some((p) => p.metadata.name === pod.metadata?.name),
        6000,
      );
      expect(fake.deletions.at(-1)).toMatchObject({
        resource: "jobs",
        name: "bg",
        propagationPolicy: "Background",
      });
    });

    it("Foreground keeps the Job until its pod is gone; no policy orphans the pod", async () => {
      await batch.createNamespacedJob({ namespace: NS, body: job("fg", "sleep 60") });
      await until("the fg pod to run", () =>
        fake
          .pods()
          .find((p) => p.metadata.labels?.["job-name"] === "fg" && p.status?.phase === "Running"),
      );
      await batch.deleteNamespacedJob({
        name: "fg",
        namespace: NS,
        propagationPolicy: "Foreground",
      });
      const marked = fake.jobs().find((j) => j.metadata.name === "fg");
      expect(marked?.metadata.deletionTimestamp).toBeTruthy();
      expect(marked?.metadata.finalizers).toContain("foregroundDeletion");
      await until(
        "the fg Job to go",
        () => !fake.jobs().some((j) => j.metadata.name === "fg"),
        6000,
      );
      expect(fake.pods().some((p) => p.metadata.labels?.["job-name"] === "fg")).toBe(false);

      await batch.createNamespacedJob({ namespace: NS, body: job("orphaning", "sleep 60") });
      const orphan = await podOf("orphaning");
      await batch.deleteNamespacedJob({ name: "orphaning", namespace: NS });
      const left = fake.pods().find((p) => p.metadata.name === orphan.metadata?.name);
      expect(left?.metadata.ownerReferences ?? []).toEqual([]);
      await core.deleteNamespacedPod({
        name: orphan.metadata?.name ?? "",
        namespace: NS,
        gracePeriodSeconds: 0,
      });
      await until(
        "the orphan to go",
        () => !fake.pods().some((p) => p.metadata.name === orphan.metadata?.name),
      );
    });

    it("refuses a deletion whose uid precondition names another object", async () => {
      await batch.createNamespacedJob({ namespace: NS, body: job("guarded", "true") });
      const refused = await refusal(
        batch.deleteNamespacedJob({
          name: "guarded",
          namespace: NS,
          propagationPolicy: "Background",
          body: { preconditions: { uid: "00000000-0000-0000-0000-000000000000" } },
        }),
      );
      expect(refused).toMatchObject({ code: 409, body: { reason: "Conflict" } });
      await batch.deleteNamespacedJob({
        name: "guarded",
        namespace: NS,
        propagationPolicy: "Background",
      });
    });
  });

  describe("kubelet", () => {
    it("runs the pod, with logs split by stream and followed to the end, and the Job Complete", async () => {
      await batch.createNamespacedJob({
        namespace: NS,
        body: job(
          "logs",
          "echo out-1; sleep 0.3; echo err-1 >&2; sleep 1; printf 'out-2\\nno-newline'",
        ),
      });
      const pod = await podOf("logs");
      const name = pod.metadata?.name ?? "";
      const early = await refusal(
        core.readNamespacedPodLog({ name, namespace: NS, container: "nope" }),
      );
      expect(early.code).toBe(400);
      await until("the container to start", () =>
        fake.pods().find((p) => p.metadata.name === name && p.status?.phase !== "Pending"),
      );
      // Followed: the response ends when the container does.
      const followed = await core.readNamespacedPodLog({ name, namespace: NS, follow: true });
      expect(followed).toBe("out-1\nerr-1\nout-2\nno-newline");
      expect(await core.readNamespacedPodLog({ name, namespace: NS, stream: "Stderr" })).toBe(
        "err-1\n",
      );
      expect(
        await core.readNamespacedPodLog({
          name,
          namespace: NS,
          stream: "Stdout",
          timestamps: true,
        }),
      ).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z out-1\n/);
      expect(
        await refusal(
          core.readNamespacedPodLog({ name, namespace: NS, stream: "Stdout", tailLines: 1 }),
        ),
      ).toMatchObject({ code: 422 });
      const done = await until("the Job to complete", async () => {
        const read = await batch.readNamespacedJob({ name: "logs", namespace: NS });
        return read.status?.conditions?.find((c) => c.type === "Complete") ? read : null;
      });
      expect(done.status).toMatchObject({ succeeded: 1 });
      const finished = await core.readNamespacedPod({ name, namespace: NS });
      expect(finished.status?.phase).toBe("Succeeded");
      expect(finished.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
        exitCode: 0,
        reason: "Completed",
      });
    });

    it("reports a non-zero exit as a Failed pod and the Job Failed with BackoffLimitExceeded", async () => {
      await batch.createNamespacedJob({ namespace: NS, body: job("failing", "exit 3") });
      const failed = await until("the Job to fail", async () => {
        const read = await batch.readNamespacedJob({ name: "failing", namespace: NS });
        return read.status?.conditions?.find((c) => c.type === "Failed") ? read : null;
      });
      expect(failed.status?.conditions?.find((c) => c.type === "Failed")?.reason).toBe(
        "BackoffLimitExceeded",
      );
      const pod = await podOf("failing");
      expect(pod.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
        exitCode: 3,
        reason: "Error",
      });
    });

    it("shows an absent image as ErrImagePull then ImagePullBackOff, and never pulls", async () => {
      const absent = job("no-image", "true");
      const container = absent.spec?.template.spec?.containers[0];
      if (container) container.image = "autoscorer-test/does-not-exist:1";
      await batch.createNamespacedJob({ namespace: NS, body: absent });
      const seen = new Set<string>();
      await until("ImagePullBackOff", () => {
        const pod = fake.pods().find((p) => p.metadata.labels?.["job-name"] === "no-image");
        const reason = pod?.status?.containerStatuses?.[0]?.state?.waiting?.reason;
        if (reason) seen.add(reason);
        return seen.has("ImagePullBackOff");
      });
      expect(seen.has("ErrImagePull")).toBe(true);
      await batch.deleteNamespacedJob({
        name: "no-image",
        namespace: NS,
        propagationPolicy: "Background",
      });
    });

    it("leaves a pod that does not fit the node Pending and Unschedulable", async () => {
      const big = job("too-big", "true");
      const container = big.spec?.template.spec?.containers[0];
      if (container) container.resources = { limits: { cpu: "1", memory: "4Gi" } };
      await batch.createNamespacedJob({ namespace: NS, body: big });
      const pod = await until("the Unschedulable condition", () =>
        fake
          .pods()
          .find(
            (p) =>
              p.metadata.labels?.["job-name"] === "too-big" &&
              p.status?.conditions?.some(
                (c: { type: string; reason?: string }) =>
                  c.type === "PodScheduled" && c.reason === "Unschedulable",
              ),
          ),
      );
      const condition = pod.status.conditions.find(
        (c: { type: string }) => c.type === "PodScheduled",
      );
      expect(condition.message).toContain("Insufficient memory");
      expect(pod.spec.nodeName).toBeUndefined();
      await batch.deleteNamespacedJob({
        name: "too-big",
        namespace: NS,
        propagationPolicy: "Background",
      });
      await until(
        "the unscheduled pod to go",
        () => !fake.pods().some((p) => p.metadata.labels?.["job-name"] === "too-big"),
      );
    });

    it("ends a Job at activeDeadlineSeconds with DeadlineExceeded, and deletes it after its TTL", async () => {
      await batch.createNamespacedJob({
        namespace: NS,
        body: job("deadline", "sleep 60", { activeDeadlineSeconds: 1, ttlSecondsAfterFinished: 1 }),
      });
      const failed = await until("DeadlineExceeded", () =>
        fake
          .jobs()
          .find(
            (j) =>
              j.metadata.name === "deadline" &&
              j.status?.conditions?.some((c: { type: string }) => c.type === "Failed"),
          ),
      );
      expect(
        failed.status.conditions.find((c: { type: string }) => c.type === "Failed").reason,
      ).toBe("DeadlineExceeded");
      // The Job fails only once its pod has stopped running.
      const pods = fake.pods().filter((p) => p.metadata.labels?.["job-name"] === "deadline");
      expect(pods.every((p) => p.status?.phase === "Failed")).toBe(true);
      await until(
        "the TTL deletion",
        () => !fake.jobs().some((j) => j.metadata.name === "deadline"),
        5000,
      );
    });

    it("kills a container above its memory limit: terminated OOMKilled", async () => {
      await batch.createNamespacedJob({
        namespace: NS,
        body: job("hog", "x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done"),
      });
      const pod = await until("the OOM kill", () =>
        fake
          .pods()
          .find((p) => p.metadata.labels?.["job-name"] === "hog" && p.status?.phase === "Failed"),
      );
      expect(pod.status.containerStatuses[0].state.terminated).toMatchObject({
        reason: "OOMKilled",
        exitCode: 137,
      });
    });

    it("translates the security context, limits and volumes into the container's settings", async () => {
      const hardened = job("hardened", "sleep 30");
      const spec = hardened.spec?.template.spec;
      if (!spec?.containers[0]) throw new Error("no container");
      spec.securityContext = {
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        seccompProfile: { type: "RuntimeDefault" },
      };
      spec.containers[0].securityContext = {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      };
      spec.volumes = [
        { name: "ws", persistentVolumeClaim: { claimName: "workspace" } },
        { name: "tmp", emptyDir: {} },
      ];
      spec.containers[0].volumeMounts = [
        { name: "ws", mountPath: "/workspace/in", subPath: "team/in", readOnly: true },
        { name: "tmp", mountPath: "/tmp" },
      ];
      await batch.createNamespacedJob({ namespace: NS, body: hardened });
      const pod = await until("the hardened pod to run", () =>
        fake
          .pods()
          .find(
            (p) => p.metadata.labels?.["job-name"] === "hardened" && p.status?.phase === "Running",
          ),
      );
      const id = String(pod.status.containerStatuses[0].containerID).replace("docker://", "");
      const info = await new Docker().getContainer(id).inspect();
      expect(info.Config.User).toBe("1000:1000");
      expect(info.HostConfig).toMatchObject({
        NetworkMode: "none",
        ReadonlyRootfs: true,
        CapDrop: ["ALL"],
        Memory: 64 * 2 ** 20,
        MemorySwap: 64 * 2 ** 20,
        NanoCpus: 250_000_000,
      });
      expect(info.HostConfig.SecurityOpt).toContain("no-new-privileges");
      expect(info.Mounts).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Destination: "/workspace/in",
            RW: false,
            Source: path.join(claimDir, "team", "in"),
          }),
        ]),
      );
      await batch.deleteNamespacedJob({
        name: "hardened",
        namespace: NS,
        propagationPolicy: "Background",
      });
    });

    it("refuses to start a non-root pod whose image runs as root: CreateContainerConfigError", async () => {
      const rootImage = job("root-image", "true");
      const spec = rootImage.spec?.template.spec;
      if (spec) spec.securityContext = { runAsNonRoot: true };
      await batch.createNamespacedJob({ namespace: NS, body: rootImage });
      const pod = await until("CreateContainerConfigError", () =>
        fake
          .pods()
          .find(
            (p) =>
              p.status?.containerStatuses?.[0]?.state?.waiting?.reason ===
              "CreateContainerConfigError",
          ),
      );
      expect(pod.status.containerStatuses[0].state.waiting.message).toContain(
        "image will run as root",
      );
      await batch.deleteNamespacedJob({
        name: "root-image",
        namespace: NS,
        propagationPolicy: "Background",
      });
    });
  });
});
