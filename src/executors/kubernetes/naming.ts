// The names and labels a run's Job carries. The Job's name is a pure function of (job id,
// attempt): a worker that restarts finds the Job again by name alone, and creating it twice
// is impossible (the API server answers 409). Labels hold selectable forms of the run's
// identity (label values have a strict alphabet and 63 characters); annotations hold the
// exact values, which sweep reads back.
import { createHash } from "node:crypto";

export const LABELS = {
  managedBy: "app.kubernetes.io/managed-by",
  node: "autoscorer.io/node",
  job: "autoscorer.io/job",
  attempt: "autoscorer.io/attempt",
  tenant: "autoscorer.io/tenant",
} as const;

export const ANNOTATIONS = {
  jobId: "autoscorer.io/job-id",
  attempt: "autoscorer.io/attempt",
  node: "autoscorer.io/node",
  tenantId: "autoscorer.io/tenant-id",
} as const;

export const MANAGED_BY = "autoscorer";

const MAX_NAME = 63;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const digest = (text: string, length: number) =>
  createHash("sha256").update(text).digest("hex").slice(0, length);

/** Lower-case letters, digits and single dashes, no dash at either end. */
const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");

/**
 * `autoscorer-<job id, shortened>-a<attempt>-<hash>`: readable in kubectl, at most 63
 * characters (the Job's name becomes its pods' `job-name` label) and a valid DNS-1123
 * label. The hash covers the exact job id and attempt, so ids that shorten alike still differ.
 */
export function jobName(jobId: string, attempt: number): string {
  const hash = digest(`${jobId}\n${attempt}`, 10);
  const suffix = `-a${attempt}-${hash}`;
  const room = MAX_NAME - "autoscorer-".length - suffix.length;
  const middle = slug(jobId).slice(0, Math.max(0, room)).replace(/-+$/, "");
  return middle ? `autoscorer-${middle}${suffix}` : `autoscorer${suffix}`;
}

/** A label value for any text: itself when valid, else a readable prefix and a hash. */
export function labelValue(text: string): string {
  if (text.length <= MAX_NAME && LABEL_VALUE.test(text)) return text;
  const prefix = text
    .replace(/[^A-Za-z0-9_.-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 40)
    .replace(/[^A-Za-z0-9]+$/, "");
  return prefix ? `${prefix}-${digest(text, 12)}` : digest(text, 12);
}
