// Kubernetes resource quantities the executor writes (requests and limits) and reads (pod
// metrics such as "123456789n" cores or "10240Ki" bytes).

const FACTORS: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** A quantity in base units (cores, bytes); null when it is not one. */
export function parseQuantity(text: unknown): number | null {
  if (typeof text === "number") return Number.isFinite(text) ? text : null;
  if (typeof text !== "string") return null;
  const match = /^(\d+(?:\.\d+)?)(n|u|m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(text.trim());
  if (!match) return null;
  const factor = FACTORS[match[2] ?? ""];
  return factor === undefined ? null : Number(match[1]) * factor;
}

/** Millicores as a CPU quantity: 500 → "500m". */
export const cpuQuantity = (millis: number) => `${Math.max(1, Math.round(millis))}m`;

/** Mebibytes as a memory quantity: 128 → "128Mi". */
export const memoryQuantity = (mb: number) => `${Math.max(1, Math.round(mb))}Mi`;
