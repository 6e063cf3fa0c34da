// Cancel and retry, where the job's state and the key's role allow them. The API decides:
// a refusal (INVALID_STATE, DAILY_LIMIT_REACHED …) is shown beside the buttons.
import { useState } from "preact/hooks";
import { messageOf, unwrap } from "../api/errors.ts";
import { CANCEL_JOB, RETRY_JOB } from "../api/operations/jobs.ts";
import { useSession } from "../api/session.ts";
import type { JobRow } from "../api/types.ts";
import { canCancel, canRetry } from "../lib/job-states.ts";

type Outcome = { cancelJob: JobRow } | { retryJob: JobRow };

export function JobActions({ job, onChanged }: { job: JobRow; onChanged: (job: JobRow) => void }) {
  const session = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (session.me.role === "VIEWER") return null;

  const act = (mutation: string, field: "cancelJob" | "retryJob") => {
    setBusy(true);
    setError(null);
    session.request<Outcome>(mutation, { id: job.id }).then(
      (data) => {
        setBusy(false);
        try {
          onChanged(unwrap((data as Record<string, JobRow>)[field] as JobRow));
        } catch (failure) {
          setError(messageOf(failure));
        }
      },
      (failure: unknown) => {
        setBusy(false);
        setError(messageOf(failure));
      },
    );
  };
  const label = job.jobId ?? job.id.slice(0, 8);
  return (
    <span class="actions">
      {canCancel(job.state, job.cancelRequested) && (
        <button
          type="button"
          class="secondary"
          disabled={busy}
          aria-label={`Cancel job ${label}`}
          onClick={() => act(CANCEL_JOB, "cancelJob")}
        >
          Cancel
        </button>
      )}
      {job.cancelRequested && job.state === "RUNNING" && <span class="muted">Cancelling…</span>}
      {canRetry(job.state) && (
        <button
          type="button"
          class="secondary"
          disabled={busy}
          aria-label={`Retry job ${label}`}
          onClick={() => act(RETRY_JOB, "retryJob")}
        >
          Retry
        </button>
      )}
      {error && (
        <span class="inline-error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}
