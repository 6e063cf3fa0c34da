// What the fake API server refuses in a Job: the OpenAPI schema (through kubernetes-models,
// the same check the executor makes before it sends one) and the part of the API server's
// own validation that a schema cannot say (names, restart policy, volume references, subPath, requests against
// limits). A manifest the executor builds must pass both, as it would on a real cluster.
import { Job } from "kubernetes-models/batch/v1";
import { parseQuantity } from "./quantity.ts";
import type { StatusCause } from "./status.ts";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

interface ErrorObject {
  instancePath?: string;
  message?: string;
}

/** Schema errors from kubernetes-models, as Status causes. */
function schemaCauses(body: unknown): StatusCause[] {
  try {
    new Job(body as ConstructorParameters<typeof Job>[0]).validate();
    return [];
  } catch (error: unknown) {
    const errors = (error as { errors?: ErrorObject[] }).errors;
    if (!Array.isArray(errors)) return [{ reason: "FieldValueInvalid", message: String(error) }];
    return errors.map((e) => ({
      reason: "FieldValueInvalid",
      message: e.message ?? "invalid",
      field: (e.instancePath ?? "").replace(/^\//, "").replaceAll("/", "."),
    }));
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the body is untrusted JSON, read field by field below.
type Json = any;

function labelCauses(labels: Json, field: string): StatusCause[] {
  if (labels === undefined) return [];
  const causes: StatusCause[] = [];
  for (const [name, value] of Object.entries(labels as Record<string, unknown>)) {
    if (!QUALIFIED_NAME.test(name) || name.length > 316)
      causes.push({
        reason: "FieldValueInvalid",
        field: `${field}`,
        message: `Invalid value: "${name}": name part must consist of alphanumeric characters, '-', '_' or '.'`,
      });
    if (typeof value !== "string" || !LABEL_VALUE.test(value) || value.length > 63)
      causes.push({
        reason: "FieldValueInvalid",
        field: `${field}`,
        message: `Invalid value: "${String(value)}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must be no more than 63 characters`,
      });
  }
  return causes;
}

function containerCauses(container: Json, index: number, volumes: Set<string>): StatusCause[] {
  const at = `spec.template.spec.containers[${index}]`;
  const causes: StatusCause[] = [];
  const bad = (field: string, message: string) =>
    causes.push({ reason: "FieldValueInvalid", field: `${at}.${field}`, message });
  if (typeof container.name !== "string" || !DNS1123_LABEL.test(container.name))
    bad(
      "name",
      `Invalid value: "${container.name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`,
    );
  if (typeof container.image !== "string" || container.image.trim() === "")
    causes.push({ reason: "FieldValueRequired", field: `${at}.image`, message: "Required value" });
  const requests: Record<string, unknown> = container.resources?.requests ?? {};
  const limits: Record<string, unknown> = container.resources?.limits ?? {};
  for (const [kind, map] of [
    ["requests", requests],
    ["limits", limits],
  ] as const)
    for (const [name, value] of Object.entries(map)) {
      const amount = parseQuantity(value);
      if (amount === null || amount < 0)
        bad(
          `resources.${kind}[${name}]`,
          `Invalid value: "${String(value)}": must be a non-negative quantity`,
        );
      if (
        name.includes("/") &&
        !name.startsWith("kubernetes.io/") &&
        amount !== null &&
        !Number.isInteger(amount)
      )
        bad(`resources.${kind}[${name}]`, `Invalid value: "${String(value)}": must be an integer`);
    }
  for (const [name, value] of Object.entries(requests)) {
    const limit = limits[name];
    if (limit === undefined) {
      // Extended resources cannot be overcommitted: a request needs the same limit.
      if (name.includes("/"))
        bad(
          `resources.limits[${name}]`,
          "Required value: Limit must be set for non overcommitable resources",
        );
      continue;
    }
    const [r, l] = [parseQuantity(value), parseQuantity(limit)];
    if (r !== null && l !== null && r > l)
      bad(
        `resources.requests[${name}]`,
        `Invalid value: "${String(value)}": must be less than or equal to ${name} limit of ${String(limit)}`,
      );
    if (name.includes("/") && r !== l)
      bad(
        `resources.requests[${name}]`,
        `Invalid value: "${String(value)}": must be equal to ${name} limit of ${String(limit)}`,
      );
  }
  const paths = new Set<string>();
  for (const [m, mount] of ((container.volumeMounts ?? []) as Json[]).entries()) {
    const field = `volumeMounts[${m}]`;
    if (!volumes.has(mount.name))
      causes.push({
        reason: "FieldValueNotFound",
        field: `${at}.${field}.name`,
        message: `Not found: "${mount.name}"`,
      });
    if (typeof mount.mountPath !== "string" || !mount.mountPath.startsWith("/"))
      bad(`${field}.mountPath`, `Invalid value: "${mount.mountPath}": must be an absolute path`);
    else if (paths.has(mount.mountPath))
      bad(`${field}.mountPath`, `Invalid value: "${mount.mountPath}": must be unique`);
    else paths.add(mount.mountPath);
    if (mount.subPath !== undefined) {
      const sub = String(mount.subPath);
      if (sub.startsWith("/"))
        bad(`${field}.subPath`, `Invalid value: "${sub}": must be a relative path`);
      if (sub.split("/").includes(".."))
        bad(`${field}.subPath`, `Invalid value: "${sub}": must not contain '..'`);
    }
  }
  for (const [e, variable] of ((container.env ?? []) as Json[]).entries())
    if (typeof variable.name !== "string" || variable.name === "" || variable.name.includes("="))
      bad(
        `env[${e}].name`,
        `Invalid value: "${variable.name}": a valid environment variable name must consist only of printable ASCII characters other than '='`,
      );
  return causes;
}

/** Everything wrong with a Job the API server would refuse; empty when it is acceptable. */
export function jobCauses(body: unknown, namespace: string): StatusCause[] {
  const causes = schemaCauses(body);
  if (causes.length > 0) return causes;
  const job = body as Json;
  if (job.kind !== "Job" || job.apiVersion !== "batch/v1")
    causes.push({
      reason: "FieldValueInvalid",
      field: "kind",
      message: `Invalid value: "${job.apiVersion}/${job.kind}": must be batch/v1 Job`,
    });
  const name = job.metadata?.name;
  if (typeof name !== "string" || name === "")
    causes.push({
      reason: "FieldValueRequired",
      field: "metadata.name",
      message: "Required value: name or generateName is required",
    });
  // A Job's name becomes its pods' `job-name` label value, hence the label's 63 characters.
  else if (!DNS1123_SUBDOMAIN.test(name) || name.length > 63)
    causes.push({
      reason: "FieldValueInvalid",
      field: "metadata.name",
      message: `Invalid value: "${name}": must be no more than 63 characters and a lowercase RFC 1123 subdomain`,
    });
  if (job.metadata?.namespace !== undefined && job.metadata.namespace !== namespace)
    causes.push({
      reason: "FieldValueInvalid",
      field: "metadata.namespace",
      message:
        "the namespace of the provided object does not match the namespace sent on the request",
    });
  causes.push(...labelCauses(job.metadata?.labels, "metadata.labels"));
  causes.push(
    ...labelCauses(job.spec?.template?.metadata?.labels, "spec.template.metadata.labels"),
  );
  const spec = job.spec ?? {};
  for (const field of ["backoffLimit", "ttlSecondsAfterFinished", "completions", "parallelism"])
    if (spec[field] !== undefined && spec[field] < 0)
      causes.push({
        reason: "FieldValueInvalid",
        field: `spec.${field}`,
        message: `Invalid value: ${spec[field]}: must be greater than or equal to 0`,
      });
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds <= 0)
    causes.push({
      reason: "FieldValueInvalid",
      field: "spec.activeDeadlineSeconds",
      message: `Invalid value: ${spec.activeDeadlineSeconds}: must be greater than 0`,
    });
  const podSpec = spec.template?.spec ?? {};
  if (podSpec.restartPolicy !== "Never" && podSpec.restartPolicy !== "OnFailure")
    causes.push({
      reason: "FieldValueRequired",
      field: "spec.template.spec.restartPolicy",
      message: `Required value: valid values: "OnFailure", "Never"`,
    });
  const containers: Json[] = podSpec.containers ?? [];
  if (containers.length === 0)
    causes.push({
      reason: "FieldValueRequired",
      field: "spec.template.spec.containers",
      message: "Required value",
    });
  const volumes = new Set<string>();
  for (const [v, volume] of ((podSpec.volumes ?? []) as Json[]).entries()) {
    if (
      typeof volume.name !== "string" ||
      !DNS1123_LABEL.test(volume.name) ||
      volumes.has(volume.name)
    )
      causes.push({
        reason: "FieldValueInvalid",
        field: `spec.template.spec.volumes[${v}].name`,
        message: `Invalid value: "${volume.name}"`,
      });
    volumes.add(volume.name);
  }
  const names = new Set<string>();
  for (const [index, container] of containers.entries()) {
    if (names.has(container.name))
      causes.push({
        reason: "FieldValueDuplicate",
        field: `spec.template.spec.containers[${index}].name`,
        message: `Duplicate value: "${container.name}"`,
      });
    names.add(container.name);
    causes.push(...containerCauses(container, index, volumes));
  }
  return causes;
}
