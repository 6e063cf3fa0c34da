// The Kubernetes manifests (deploy/kubernetes/): every object is one the API server would
// accept, and the security properties docs/operations.md promises hold for every pod.
import { Deployment } from "kubernetes-models/apps/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import {
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
} from "kubernetes-models/rbac.authorization.k8s.io/v1";
import {
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Service,
  ServiceAccount,
} from "kubernetes-models/v1";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { configFrom, SAMPLE_SECRETS } from "./config-env.ts";
import { loadManifests, type Manifest, manifestProblems } from "./kubernetes-manifests.ts";
import { podSecurityProblems, podSpecOf } from "./pod-security.ts";

const manifests = loadManifests().map((m) => m.object);
/** The same, for the models' type guards (`objects.filter(Service.is)` gives IService[]). */
const objects: readonly unknown[] = manifests;
const NAMESPACE = "autoscorer";

const componentOf = (labels: Record<string, string> | undefined) =>
  labels?.["app.kubernetes.io/component"];

/** The platform's pods: component name, pod labels, pod spec. */
const pods = manifests.flatMap((object) => {
  const spec = podSpecOf(object);
  if (!spec) return [];
  const template = (
    object.spec as { template?: { metadata?: { labels?: Record<string, string> } } }
  ).template;
  const labels = template?.metadata?.labels ?? {};
  return [{ component: componentOf(labels) ?? object.kind, labels, spec }];
});

function podOf(component: string): { labels: Record<string, string>; spec: IPodSpec } {
  const pod = pods.find((p) => p.component === component);
  if (!pod) throw new Error(`no ${component} pod template`);
  return pod;
}

const selects = (
  selector: { matchLabels?: Record<string, string> },
  labels: Record<string, string>,
) => Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

describe("Kubernetes manifests", () => {
  it("are all valid objects of kinds the Kubernetes API knows, with no unknown field", () => {
    const loaded = loadManifests();
    expect(loaded.length).toBeGreaterThan(10);
    const problems = loaded.flatMap(({ source, object }) =>
      manifestProblems(object).map((p) => `${source} (${object.kind}): ${p}`),
    );
    expect(problems).toEqual([]);
  });

  it("reject what the cluster would reject: the validation is not a formality", () => {
    const deployment = objects.find(Deployment.is);
    if (!deployment) throw new Error("no Deployment");
    const broken = (edit: (d: Record<string, unknown>) => void) => {
      const copy = structuredClone(deployment) as unknown as Record<string, unknown>;
      edit(copy);
      return manifestProblems(copy as unknown as Manifest);
    };
    expect(manifestProblems(deployment as unknown as Manifest)).toEqual([]);
    expect(broken((d) => ((d.spec as Record<string, unknown>).replicas = "two"))).toEqual([
      expect.stringMatching(/schema: .*replicas must be integer/),
    ]);
    expect(broken((d) => delete (d.spec as Record<string, unknown>).selector)).toEqual([
      expect.stringMatching(/schema: .*selector/),
    ]);
    const misspelt = broken((d) => {
      const pod = (d.spec as { template: { spec: { containers: Record<string, unknown>[] } } })
        .template.spec;
      const container = pod.containers[0] ?? {};
      container.securityContex = container.securityContext;
      delete container.securityContext;
    });
    expect(misspelt).toEqual([
      "unknown field Deployment.spec.template.spec.containers[0].securityContex",
    ]);
    expect(
      manifestProblems({ apiVersion: "autoscorer.io/v1", kind: "Scorer", metadata: { name: "x" } }),
    ).toEqual(["unknown apiVersion/kind autoscorer.io/v1/Scorer"]);
    expect(manifestProblems({ apiVersion: "v1", kind: "Deployment", metadata: {} })).toEqual([
      "unknown apiVersion/kind v1/Deployment",
    ]);
  });

  it("put everything in one namespace that enforces, audits and warns on Pod Security restricted", () => {
    const namespaces = objects.filter(Namespace.is);
    expect(namespaces.map((n) => n.metadata?.name)).toEqual([NAMESPACE]);
    const labels = namespaces[0]?.metadata?.labels ?? {};
    for (const mode of ["enforce", "audit", "warn"]) {
      expect(labels[`pod-security.kubernetes.io/${mode}`]).toBe("restricted");
      expect(labels[`pod-security.kubernetes.io/${mode}-version`]).toBe("latest");
    }
    const elsewhere = manifests.filter(
      (m) => !Namespace.is(m) && m.metadata?.namespace !== NAMESPACE,
    );
    expect(elsewhere.map((m) => `${m.kind}/${m.metadata?.name}`)).toEqual([]);
  });

  it("run every role, each pod meeting Pod Security restricted with limits and a read-only root", () => {
    expect(pods.map((p) => p.component).sort()).toEqual(["api", "migrate", "scheduler", "worker"]);
    for (const pod of pods)
      expect([pod.component, podSecurityProblems(pod.spec)]).toEqual([pod.component, []]);
    const roles = pods.map((p) => [p.component, p.spec.containers.map((c) => c.args?.[0])]);
    expect(Object.fromEntries(roles)).toEqual({
      api: ["serve"],
      worker: ["worker"],
      scheduler: ["scheduler"],
      migrate: ["migrate"],
    });
  });

  it("have a pod check that catches a pod breaking the rules", () => {
    const root: IPodSpec = {
      hostNetwork: true,
      volumes: [{ name: "docker", hostPath: { path: "/var/run/docker.sock" } }],
      containers: [
        {
          name: "bad",
          image: "autoscorer:latest",
          securityContext: { privileged: true, runAsUser: 0, capabilities: { add: ["SYS_ADMIN"] } },
        },
      ],
    };
    expect(podSecurityProblems(root)).toEqual([
      "shares a host namespace",
      "volume docker: hostPath is not allowed",
      "container bad: runAsNonRoot is not true",
      "container bad: runAsUser is not a non-zero uid",
      "container bad: allowPrivilegeEscalation is not false",
      "container bad: privileged",
      "container bad: does not drop ALL",
      "container bad: adds capabilities SYS_ADMIN",
      "container bad: seccomp profile is unset, not RuntimeDefault",
      "container bad: root filesystem is writable",
      "container bad: no emptyDir at /tmp",
      "container bad: no cpu requests",
      "container bad: no memory requests",
      "container bad: no cpu limits",
      "container bad: no memory limits",
      "container bad: image autoscorer:latest has no pinned tag",
    ]);
  });

  it("probe the API on /healthz (startup, liveness) and /readyz (readiness) behind a Service", () => {
    const api = podOf("api");
    const container = api.spec.containers[0] as IContainer;
    expect(container.startupProbe?.httpGet?.path).toBe("/healthz");
    expect(container.livenessProbe?.httpGet?.path).toBe("/healthz");
    expect(container.readinessProbe?.httpGet?.path).toBe("/readyz");
    const port = container.ports?.find((p) => p.name === "http");
    expect(port?.containerPort).toBe(4000);
    for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe])
      expect(probe?.httpGet?.port).toBe("http");
    const services = objects.filter(Service.is);
    expect(services).toHaveLength(1);
    const service = services[0];
    expect(selects({ matchLabels: service?.spec?.selector }, api.labels)).toBe(true);
    expect(service?.spec?.ports?.map((p) => p.targetPort)).toEqual(["http"]);
  });

  it("grant the worker exactly the verbs the Kubernetes executor uses, in the namespace only", () => {
    expect(manifests.filter((m) => ClusterRole.is(m) || ClusterRoleBinding.is(m))).toEqual([]);
    const roles = objects.filter(Role.is);
    expect(roles).toHaveLength(1);
    const granted = (roles[0]?.rules ?? []).flatMap((rule) =>
      (rule.apiGroups ?? []).flatMap((group) =>
        (rule.resources ?? []).flatMap((resource) =>
          rule.verbs.map((verb) => `${group || "core"}/${resource}:${verb}`),
        ),
      ),
    );
    expect(granted.sort()).toEqual(
      [
        "batch/jobs:create",
        "batch/jobs:get",
        "batch/jobs:list",
        "batch/jobs:watch",
        "batch/jobs:delete",
        "core/pods:get",
        "core/pods:list",
        "core/pods:watch",
        "core/pods/log:get",
      ].sort(),
    );
    expect(roles[0]?.rules?.some((r) => r.resourceNames || r.nonResourceURLs)).toBe(false);
    const bindings = objects.filter(RoleBinding.is);
    expect(
      bindings.map((b) => [b.roleRef.kind, b.roleRef.name, b.subjects?.map((s) => s.name)]),
    ).toEqual([["Role", roles[0]?.metadata?.name, ["autoscorer-worker"]]]);
    // Every pod's account exists; only the worker's pods carry a token, and only its
    // account and the runs' (never bound to anything) are not switched off wholesale.
    const accounts = new Map(
      manifests
        .filter(ServiceAccount.is)
        .map((a) => [a.metadata?.name, a.automountServiceAccountToken]),
    );
    expect([...accounts.entries()].filter(([, automount]) => automount !== false)).toEqual([
      ["autoscorer-worker", undefined],
    ]);
    expect(accounts.has("autoscorer-run")).toBe(true);
    for (const pod of pods) expect(accounts.has(pod.spec.serviceAccountName)).toBe(true);
    for (const pod of pods) {
      const token = pod.spec.automountServiceAccountToken;
      if (pod.component === "worker") {
        expect(pod.spec.serviceAccountName).toBe("autoscorer-worker");
        expect(token).toBe(true);
      } else {
        expect([pod.component, token, pod.spec.serviceAccountName]).toEqual([
          pod.component,
          false,
          `autoscorer-${pod.component}`,
        ]);
      }
    }
  });

  it("allow only the traffic each role needs: API ingress, DNS, Postgres, the API server for workers", () => {
    const policies = objects.filter(NetworkPolicy.is);
    const denyAll = policies.find(
      (p) =>
        Object.keys(p.spec?.podSelector ?? {}).length === 0 &&
        p.spec?.policyTypes?.includes("Ingress") &&
        p.spec?.policyTypes?.includes("Egress") &&
        !p.spec?.ingress &&
        !p.spec?.egress,
    );
    expect(denyAll?.metadata?.name).toBe("default-deny");
    const selecting = (labels: Record<string, string>) =>
      policies.filter((p) => p.spec?.podSelector && selects(p.spec.podSelector, labels));
    const egressPorts = (labels: Record<string, string>) =>
      selecting(labels)
        .flatMap((p) => p.spec?.egress ?? [])
        .flatMap((rule) => {
          // A rule without ports or destinations would open everything.
          expect(rule.ports?.length).toBeGreaterThan(0);
          expect(rule.to?.length).toBeGreaterThan(0);
          return (rule.ports ?? []).map((p) => `${p.protocol}/${p.port}`);
        })
        .sort();
    const database = ["TCP/5432", "TCP/53", "UDP/53"].sort();
    for (const component of ["api", "scheduler", "migrate"])
      expect([component, egressPorts(podOf(component).labels)]).toEqual([component, database]);
    expect(egressPorts(podOf("worker").labels)).toEqual(
      [...database, "TCP/443", "TCP/6443"].sort(),
    );
    const ingressPorts = (labels: Record<string, string>) =>
      selecting(labels).flatMap((p) =>
        (p.spec?.ingress ?? []).flatMap((r) => (r.ports ?? []).map((x) => x.port)),
      );
    expect(ingressPorts(podOf("api").labels)).toEqual([4000]);
    for (const component of ["worker", "scheduler", "migrate"])
      expect([component, ingressPorts(podOf(component).labels)]).toEqual([component, []]);
    // The executor's run pods (labelled by the executor) get no rule at all.
    const run = { "app.kubernetes.io/managed-by": "autoscorer" };
    expect(selecting(run).length).toBeGreaterThanOrEqual(2);
    expect(
      selecting(run).flatMap((p) => [...(p.spec?.ingress ?? []), ...(p.spec?.egress ?? [])]),
    ).toEqual([]);
  });

  it("share one ReadWriteMany claim between the workers, the runs (executor config) and the API (read-only)", () => {
    const claims = objects.filter(PersistentVolumeClaim.is);
    expect(claims.map((c) => [c.metadata?.name, c.spec?.accessModes])).toEqual([
      ["autoscorer-data", ["ReadWriteMany"]],
    ]);
    const config = objects.filter(ConfigMap.is)[0]?.data ?? {};
    const volumes = parseYaml(config.AUTOSCORER_KUBERNETES__VOLUMES ?? "[]") as Array<{
      hostPath: string;
      claimName: string;
    }>;
    expect(volumes.map((v) => v.claimName)).toEqual(["autoscorer-data"]);
    const mountOf = (component: string) => {
      const { spec } = podOf(component);
      const volume = spec.volumes?.find(
        (v) => v.persistentVolumeClaim?.claimName === "autoscorer-data",
      );
      const mount = spec.containers[0]?.volumeMounts?.find((m) => m.name === volume?.name);
      return {
        path: mount?.mountPath,
        subPath: mount?.subPath,
        readOnly: mount?.readOnly ?? false,
      };
    };
    expect(mountOf("worker")).toEqual({
      path: volumes[0]?.hostPath,
      subPath: undefined,
      readOnly: false,
    });
    expect(mountOf("api")).toEqual({
      path: "/var/lib/autoscorer/inputs",
      subPath: "inputs",
      readOnly: true,
    });
  });

  it("hold no secret, only references to the Secret the operator creates", () => {
    expect(manifests.filter((m) => m.kind === "Secret")).toEqual([]);
    const references = pods.flatMap((p) =>
      p.spec.containers.flatMap((c) =>
        (c.env ?? []).flatMap((e) => {
          const ref = e.valueFrom?.secretKeyRef;
          return ref ? [`${p.component}:${e.name}=${ref.name}/${ref.key}`] : [];
        }),
      ),
    );
    expect(references.sort()).toEqual(
      [
        "api:AUTOSCORER_ADMIN_KEY=autoscorer/admin-key",
        "api:DATABASE_URL=autoscorer/database-url",
        "migrate:DATABASE_URL=autoscorer/database-url",
        "scheduler:DATABASE_URL=autoscorer/database-url",
        "worker:DATABASE_URL=autoscorer/database-url",
      ].sort(),
    );
  });

  it("give every container an environment that is a valid configuration", () => {
    const configMaps = new Map(
      objects.filter(ConfigMap.is).map((c) => [c.metadata?.name, c.data ?? {}]),
    );
    const secretSample: Record<string, string> = {
      "database-url": SAMPLE_SECRETS.databaseUrl,
      "admin-key": SAMPLE_SECRETS.adminKey,
    };
    const envOf = (container: IContainer): Record<string, string> => {
      const env: Record<string, string> = {};
      for (const source of container.envFrom ?? []) {
        const data = configMaps.get(source.configMapRef?.name);
        if (!data)
          throw new Error(`envFrom names a missing ConfigMap ${source.configMapRef?.name}`);
        Object.assign(env, data);
      }
      for (const variable of container.env ?? []) {
        const key = variable.valueFrom?.secretKeyRef?.key;
        env[variable.name] = variable.value ?? (key ? secretSample[key] : undefined) ?? "sample";
      }
      return env;
    };
    for (const pod of pods) {
      for (const container of pod.spec.containers) {
        const config = configFrom(envOf(container));
        if (typeof config === "string") throw new Error(`${pod.component}: ${config}`);
        expect(config.database.url).toBe(SAMPLE_SECRETS.databaseUrl);
        expect(config.env).toBe("production");
        if (pod.component === "worker") {
          expect(config.worker.executors).toEqual(["KUBERNETES"]);
          expect(config.kubernetes).toMatchObject({ inCluster: true, namespace: NAMESPACE });
          expect(config.kubernetes.serviceAccountName).toBe("autoscorer-run");
        }
      }
    }
  });
});
