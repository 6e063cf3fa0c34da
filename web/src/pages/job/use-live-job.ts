// One job as it runs: the snapshot from `job(id)` (details, history, output, samples),
// then jobUpdated, jobLogs and jobMetrics, each resumed from the snapshot's last cursor.
import { useCallback, useRef } from "preact/hooks";
import { unwrap } from "../../api/errors.ts";
import {
  JOB_LOGS_SUBSCRIPTION,
  JOB_METRICS_SUBSCRIPTION,
  JOB_QUERY,
  JOB_UPDATED_SUBSCRIPTION,
} from "../../api/operations/job.ts";
import type { JobDetail, JobEvent, JobRow, LogChunk, MetricSample } from "../../api/types.ts";
import { useQuery } from "../../hooks/use-query.ts";
import { useSubscription } from "../../hooks/use-subscription.ts";
import { appendNew, isAfter } from "./cursors.ts";

/** How many chunks and samples the page keeps while following a long run. */
const KEEP_CHUNKS = 2000;
const KEEP_SAMPLES = 3600;

export interface LiveJob {
  job: JobDetail | null;
  events: JobEvent[];
  logs: LogChunk[];
  samples: MetricSample[];
  error: unknown;
  liveErrors: string[];
  reload(): void;
  replace(job: JobRow): void;
}

interface Snapshot {
  job: JobDetail & { events: JobEvent[]; logs: LogChunk[]; metrics: MetricSample[] };
}

export function useLiveJob(id: string): LiveJob {
  const query = useQuery<{
    job: Snapshot["job"] | { __typename: "BaseError"; code: string; message: string };
  }>(JOB_QUERY, { id });
  let snapshot: Snapshot["job"] | null = null;
  let error: unknown = query.error;
  if (query.data) {
    try {
      snapshot = unwrap(query.data.job as Snapshot["job"]);
    } catch (failure) {
      error = failure;
    }
  }
  const update = useCallback(
    (change: (job: Snapshot["job"]) => Snapshot["job"]) =>
      query.setData((data) => ({ job: change(data.job as Snapshot["job"]) })),
    [query.setData],
  );
  if (snapshot && snapshot.id !== id) snapshot = null; // still the previous job's
  // Each feed resumes from the first snapshot of this job; the feeds' own additions to the
  // snapshot must not restart them, so the cursors are taken once per job.
  const start = useRef<{
    id: string;
    event: string | null;
    chunk: string | null;
    sample: string | null;
  } | null>(null);
  if (snapshot && start.current?.id !== id) {
    start.current = {
      id,
      event: snapshot.events.at(-1)?.id ?? null,
      chunk: snapshot.logs.at(-1)?.cursor ?? null,
      sample: snapshot.metrics.at(-1)?.cursor ?? null,
    };
  }
  const from = start.current?.id === id ? start.current : null;

  const updates = useSubscription<{
    jobUpdated: { cursor: string; event: JobEvent; job: Partial<JobDetail> };
  }>(JOB_UPDATED_SUBSCRIPTION, from ? { id, after: from.event } : null, ({ jobUpdated }) =>
    update((job) => {
      const known = job.events.some((e) => e.id === jobUpdated.event.id);
      return {
        ...job,
        ...(jobUpdated.job as Partial<JobDetail>),
        events:
          known || !isAfter(jobUpdated.event.id, job.events.at(-1)?.id ?? null)
            ? job.events
            : [...job.events, jobUpdated.event],
      };
    }),
  );
  const logs = useSubscription<{ jobLogs: LogChunk }>(
    JOB_LOGS_SUBSCRIPTION,
    from ? { id, after: from.chunk } : null,
    ({ jobLogs }) => update((job) => ({ ...job, logs: appendNew(job.logs, jobLogs, KEEP_CHUNKS) })),
  );
  const metrics = useSubscription<{ jobMetrics: MetricSample }>(
    JOB_METRICS_SUBSCRIPTION,
    from ? { id, after: from.sample } : null,
    ({ jobMetrics }) =>
      update((job) => ({ ...job, metrics: appendNew(job.metrics, jobMetrics, KEEP_SAMPLES) })),
  );

  return {
    job: snapshot,
    events: snapshot?.events ?? [],
    logs: snapshot?.logs ?? [],
    samples: snapshot?.metrics ?? [],
    error,
    liveErrors: [updates.error, logs.error, metrics.error].flatMap((e) => (e ? [e.message] : [])),
    reload: query.reload,
    // A cancel or retry answers with the list's fields; the detailed result stays (or goes).
    replace: (job) =>
      update((current) => ({ ...current, ...job, result: job.result ? current.result : null })),
  };
}
