// Resource quantities in Kubernetes notation, so one JobSpec reads the same to every
// executor: CPU as cores ("2", "0.5", "500m") and memory as bytes with a suffix ("512Mi",
// "4Gi", "1G"). Stored as whole millicores and MiB, rounded up so a job never gets less.

const MEMORY_UNITS: Record<string, number> = {
  "": 1,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  k: 1000,
  K: 1000,
  M: 1000 ** 2,
  G: 1000 ** 3,
  T: 1000 ** 4,
};

const QUANTITY = /^(\d+(?:\.\d+)?)([A-Za-z]*)$/;

/** Millicores from "2", "0.5", "500m" or a number of cores; null when malformed. */
export function parseCpu(value: string | number): number | null {
  const text = typeof value === "number" ? String(value) : value.trim();
  const match = QUANTITY.exec(text);
  if (!match) return null;
  const [, amount, unit] = match;
  if (unit !== "" && unit !== "m") return null;
  const millis = unit === "m" ? Number(amount) : Number(amount) * 1000;
  return Number.isFinite(millis) && millis > 0 ? Math.ceil(millis) : null;
}

/** MiB from "512Mi", "4Gi", "1G" or plain bytes; null when malformed. */
export function parseMemory(value: string | number): number | null {
  const text = typeof value === "number" ? String(value) : value.trim();
  const match = QUANTITY.exec(text);
  if (!match) return null;
  const [, amount, unit = ""] = match;
  const factor = MEMORY_UNITS[unit];
  if (factor === undefined) return null;
  const mib = (Number(amount) * factor) / 1024 ** 2;
  return Number.isFinite(mib) && mib > 0 ? Math.ceil(mib) : null;
}

export const formatCpu = (millis: number): string =>
  millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;

export const formatMemory = (mib: number): string =>
  mib % 1024 === 0 ? `${mib / 1024}Gi` : `${mib}Mi`;

export interface ResourceAmounts {
  cpuMillis: number;
  memoryMb: number;
  gpus: number;
}

/**
 * What of a job's resources exceeds a tenant's whole quota, as "cpu 4000m > 2000m" and the
 * like; empty when it fits. Such a job could never start, at submission or ever after.
 */
export function beyondQuota(job: ResourceAmounts, quota: ResourceAmounts): string[] {
  const over: string[] = [];
  if (job.cpuMillis > quota.cpuMillis) over.push(`cpu ${job.cpuMillis}m > ${quota.cpuMillis}m`);
  if (job.memoryMb > quota.memoryMb) over.push(`memory ${job.memoryMb}Mi > ${quota.memoryMb}Mi`);
  if (job.gpus > quota.gpus) over.push(`gpus ${job.gpus} > ${quota.gpus}`);
  return over;
}
