// The dashboard's job list: a page from the `jobs` query, then every change from the
// `tenantJobs` feed, resumed from an event that happened before the snapshot was read so
// that nothing in between is lost (replayed changes only repeat what is already shown).
import { useCallback, useState } from "preact/hooks";
import { messageOf } from "../../api/errors.ts";
import { JOBS_QUERY, TENANT_JOBS_SUBSCRIPTION } from "../../api/operations/jobs.ts";
import { useSession } from "../../api/session.ts";
import type { Connection, JobRow } from "../../api/types.ts";
import { useQuery } from "../../hooks/use-query.ts";
import { useSubscription } from "../../hooks/use-subscription.ts";
import { type JobListFilter, mergeJob } from "./job-list.ts";

const PAGE = 50;

interface JobsData {
  jobs: Connection<JobRow>;
  newest: Connection<{ id: string; events: Array<{ id: string }> }>;
}

export interface LiveJobs {
  rows: JobRow[] | null;
  error: unknown;
  loading: boolean;
  /** Whether changes arrive live (admins follow one tenant at a time). */
  followed: boolean;
  liveError: string | null;
  hasMore: boolean;
  loadingMore: boolean;
  loadMore(): void;
  reload(): void;
  /** Puts a job the page itself changed (submitted, cancelled) into the list. */
  upsert(job: JobRow): void;
}

export function useLiveJobs(
  filter: JobListFilter,
  followTenant: string | null | undefined,
): LiveJobs {
  const session = useSession();
  const variables = {
    filter: {
      ...(filter.states ? { states: filter.states } : {}),
      ...(filter.competition ? { competition: filter.competition } : {}),
      ...(filter.tenant ? { tenant: filter.tenant } : {}),
    },
    first: PAGE,
    tenant: filter.tenant,
  };
  const query = useQuery<JobsData>(JOBS_QUERY, variables);
  const [moreError, setMoreError] = useState<unknown>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const complete = query.data ? !query.data.jobs.pageInfo.hasNextPage : false;

  const upsert = useCallback(
    (job: JobRow) =>
      query.setData((data) => {
        const rows = data.jobs.edges.map((edge) => edge.node);
        const merged = mergeJob(rows, job, filter, !data.jobs.pageInfo.hasNextPage);
        if (merged === rows) return data;
        const cursors = new Map(data.jobs.edges.map((edge) => [edge.node.id, edge.cursor]));
        return {
          ...data,
          jobs: {
            ...data.jobs,
            edges: merged.map((node) => ({ cursor: cursors.get(node.id) ?? "", node })),
          },
        };
      }),
    [query.setData, filter],
  );

  // Admin keys see every tenant's jobs but follow one tenant's feed at a time.
  const resumeFrom = query.data?.newest.edges[0]?.node.events.at(-1)?.id ?? null;
  const follow = followTenant !== undefined && query.data !== null;
  const live = useSubscription<{ tenantJobs: { job: JobRow } }>(
    TENANT_JOBS_SUBSCRIPTION,
    follow ? { tenant: followTenant, after: resumeFrom } : null,
    (update) => upsert(update.tenantJobs.job),
  );

  const loadMore = () => {
    const after = query.data?.jobs.pageInfo.endCursor;
    if (!after) return;
    setLoadingMore(true);
    session.request<JobsData>(JOBS_QUERY, { ...variables, after }).then(
      (page) => {
        setLoadingMore(false);
        setMoreError(null);
        query.setData((data) => ({
          ...data,
          jobs: {
            edges: [
              ...data.jobs.edges,
              ...page.jobs.edges.filter(
                (e) => !data.jobs.edges.some((d) => d.node.id === e.node.id),
              ),
            ],
            pageInfo: page.jobs.pageInfo,
          },
        }));
      },
      (error: unknown) => {
        setLoadingMore(false);
        setMoreError(error);
      },
    );
  };

  return {
    rows: query.data ? query.data.jobs.edges.map((edge) => edge.node) : null,
    error: query.error ?? moreError,
    loading: query.loading,
    followed: follow,
    liveError: live.error ? messageOf(live.error) : null,
    hasMore: query.data ? !complete : false,
    loadingMore,
    loadMore,
    reload: query.reload,
    upsert,
  };
}
