// Status conditions as controllers write them: each keeps the time of its last transition
// while its status stays the same, so rewriting an unchanged condition changes nothing (and
// the store then sends no event).

export interface Condition {
  type: string;
  status: "True" | "False";
  reason?: string;
  message?: string;
  lastProbeTime: string | null;
  lastTransitionTime: string;
}

export type ConditionUpdate = Omit<Condition, "lastProbeTime" | "lastTransitionTime">;

/** Now, to the second, as the API server writes metav1.Time. */
export const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

export function setConditions(
  existing: Condition[] | undefined,
  updates: ConditionUpdate[],
  probe = false,
): Condition[] {
  const result = [...(existing ?? [])];
  for (const update of updates) {
    const index = result.findIndex((c) => c.type === update.type);
    const previous = index >= 0 ? result[index] : undefined;
    const next: Condition = {
      ...update,
      lastProbeTime: probe ? (previous?.lastProbeTime ?? now()) : null,
      lastTransitionTime:
        previous && previous.status === update.status ? previous.lastTransitionTime : now(),
    };
    if (index >= 0) result[index] = next;
    else result.push(next);
  }
  return result;
}

export const hasCondition = (conditions: Condition[] | undefined, type: string) =>
  (conditions ?? []).some((c) => c.type === type && c.status === "True");
