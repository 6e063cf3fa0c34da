// Editing a tenant's quota (setQuota): only the limits changed are sent; the team's
// dashboard shows the new limits at once through its quotaUsage subscription.
import { useState } from "preact/hooks";
import { SET_QUOTA } from "../../api/operations/admin.ts";
import type { Quota } from "../../api/types.ts";
import { Field } from "../../components/field.tsx";
import { ErrorNotice } from "../../components/status.tsx";
import { useAction } from "../../hooks/use-action.ts";
import { formatDateTime } from "../../lib/format.ts";

const LIMITS = [
  ["maxConcurrentJobs", "Concurrent jobs"],
  ["maxQueuedJobs", "Waiting jobs"],
  ["cpuMillis", "CPU (millicores)"],
  ["memoryMb", "Memory (MiB)"],
  ["gpus", "GPUs"],
  ["maxJobSeconds", "Longest job (seconds)"],
  ["submissionsPerDay", "Submissions per day"],
] as const;

type Limit = (typeof LIMITS)[number][0];

export function QuotaForm({
  tenant,
  quota,
  onSaved,
}: {
  tenant: string;
  quota: Quota | null;
  onSaved: (quota: Quota) => void;
}) {
  const action = useAction();
  const initial = () =>
    Object.fromEntries(LIMITS.map(([key]) => [key, quota ? String(quota[key]) : ""])) as Record<
      Limit,
      string
    >;
  const [values, setValues] = useState(initial);
  const [saved, setSaved] = useState<string | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setSaved(null);
    const input: Partial<Record<Limit, number>> = {};
    for (const [key] of LIMITS) {
      const value = values[key].trim();
      if (value !== "" && (!quota || Number(value) !== quota[key])) input[key] = Number(value);
    }
    const result = await action.run<Quota & { __typename: string }>(
      SET_QUOTA,
      "setQuota",
      { tenant, input },
      onSaved,
    );
    if (result) setSaved(`Saved at ${formatDateTime(result.updatedAt)}.`);
  };
  return (
    <form class="panel" onSubmit={submit} aria-labelledby="quota-form-heading">
      <h2 id="quota-form-heading">Edit quota</h2>
      <div class="form-grid">
        {LIMITS.map(([key, label]) => (
          <Field
            key={key}
            id={`quota-${key}`}
            label={label}
            issues={action.error?.issues.filter((i) => i.field === key) ?? []}
          >
            {(aria) => (
              <input
                {...aria}
                type="number"
                min={0}
                step={1}
                value={values[key]}
                onInput={(e) => {
                  const value = e.currentTarget.value;
                  setValues((current) => ({ ...current, [key]: value }));
                }}
              />
            )}
          </Field>
        ))}
      </div>
      <div class="form-actions">
        <button type="submit" disabled={action.busy}>
          Save quota
        </button>
        <span role="status" class="muted">
          {saved}
        </span>
      </div>
      {action.error && <ErrorNotice error={action.error} />}
    </form>
  );
}
