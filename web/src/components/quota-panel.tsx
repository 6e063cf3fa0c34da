// A tenant's usage against its quota: concurrency, CPU, memory, GPUs and today's
// submissions, read once and then kept current by the quotaUsage subscription (a job
// starting or an admin changing the quota shows at once).
import { unwrap } from "../api/errors.ts";
import { QUOTA_USAGE_QUERY, QUOTA_USAGE_SUBSCRIPTION } from "../api/operations/quota.ts";
import type { QuotaUsage } from "../api/types.ts";
import { useQuery } from "../hooks/use-query.ts";
import { useSubscription } from "../hooks/use-subscription.ts";
import {
  formatCores,
  formatDateTime,
  formatDuration,
  formatFromNow,
  formatMiB,
  viewerTimeZone,
} from "../lib/format.ts";
import { ErrorNotice, Loading } from "./status.tsx";
import { UsageBar } from "./usage-bar.tsx";

interface UsageData {
  quotaUsage: QuotaUsage | { __typename: "BaseError"; code: string; message: string };
}

export function QuotaPanel({ tenant }: { tenant: string | null }) {
  const query = useQuery<UsageData>(QUOTA_USAGE_QUERY, { tenant });
  const live = useSubscription<{ quotaUsage: QuotaUsage }>(
    QUOTA_USAGE_SUBSCRIPTION,
    query.data ? { tenant } : null,
    (update) =>
      query.setData(() => ({ quotaUsage: { __typename: "QuotaUsage", ...update.quotaUsage } })),
  );
  let usage: QuotaUsage | null = null;
  let error: unknown = query.error;
  if (query.data) {
    try {
      usage = unwrap(query.data.quotaUsage as QuotaUsage & { __typename: string });
    } catch (failure) {
      error = failure;
    }
  }
  return (
    <section class="panel quota" aria-labelledby="quota-heading">
      <h2 id="quota-heading">Quota</h2>
      {error ? <ErrorNotice error={error} retry={query.reload} /> : null}
      {!usage && !error && <Loading what="quota" />}
      {usage && (
        <>
          <div class="usage-grid">
            <UsageBar
              label="Running jobs"
              used={usage.runningJobs}
              limit={usage.maxConcurrentJobs}
            />
            <UsageBar
              label="CPU"
              used={usage.cpuMillisInUse}
              limit={usage.cpuMillis}
              format={formatCores}
            />
            <UsageBar
              label="Memory"
              used={usage.memoryMbInUse}
              limit={usage.memoryMb}
              format={formatMiB}
            />
            <UsageBar label="GPUs" used={usage.gpusInUse} limit={usage.gpus} />
            <UsageBar
              label="Submissions today"
              used={usage.submissionsToday}
              limit={usage.submissionsPerDay}
              note={`${usage.remainingToday} left · resets ${formatDateTime(usage.resetsAt)} (${viewerTimeZone()}), ${formatFromNow(usage.resetsAt)}`}
            />
            <UsageBar label="Waiting jobs" used={usage.waitingJobs} limit={usage.maxQueuedJobs} />
          </div>
          <p class="muted small">Longest run allowed: {formatDuration(usage.maxJobSeconds)}.</p>
        </>
      )}
      {live.error && <p class="muted small">Live quota updates stopped: {live.error.message}</p>}
    </section>
  );
}
