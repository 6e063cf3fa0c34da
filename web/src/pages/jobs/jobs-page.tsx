// The team dashboard: quota, the submit form, and the team's jobs updating live. Platform
// admins get every team's jobs, with a team filter (the live feed follows one team).
import { useEffect } from "preact/hooks";
import { TENANTS_QUERY } from "../../api/operations/admin.ts";
import { FORM_OPTIONS } from "../../api/operations/jobs.ts";
import { useSession } from "../../api/session.ts";
import type { Competition, Connection, Scorer, Tenant } from "../../api/types.ts";
import { LiveBadge } from "../../components/live-badge.tsx";
import { QuotaPanel } from "../../components/quota-panel.tsx";
import { Empty, ErrorNotice, Loading } from "../../components/status.tsx";
import { useQuery } from "../../hooks/use-query.ts";
import type { Location } from "../../router.tsx";
import { type FilterParams, filterFromParams, JobFilters } from "./job-filters.tsx";
import { JobTable } from "./job-table.tsx";
import { SubmitForm } from "./submit-form.tsx";
import { useLiveJobs } from "./use-live-jobs.ts";

/** Set once the first job list (or its empty state) is on screen; bench:web reads it. */
export const FIRST_LIST_MARK = "autoscorer:first-job-list";

interface Options {
  scorers: Scorer[];
  competitions: Connection<Competition>;
}

export function JobsPage({ location }: { location: Location }) {
  const { me } = useSession();
  const admin = me.isPlatformAdmin;
  const params: FilterParams = {
    state: location.query.get("state") ?? "",
    competition: location.query.get("competition") ?? "",
    tenant: admin ? (location.query.get("tenant") ?? "") : "",
  };
  const filter = filterFromParams(params);
  const jobs = useLiveJobs(filter, admin ? (filter.tenant ?? undefined) : null);
  const options = useQuery<Options>(FORM_OPTIONS);
  const tenants = useQuery<{ tenants: Connection<Tenant> }>(TENANTS_QUERY, {}, !admin);
  const tenantSlugs = admin ? (tenants.data?.tenants.edges.map((e) => e.node.slug) ?? []) : null;
  const competitions = options.data?.competitions.edges.map((e) => e.node) ?? [];
  const shown = jobs.rows !== null;

  useEffect(() => {
    if (shown && performance.getEntriesByName(FIRST_LIST_MARK).length === 0) {
      performance.mark(FIRST_LIST_MARK);
    }
  }, [shown]);

  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>{admin ? "Jobs" : `${me.tenant?.name ?? "Team"} · Jobs`}</h1>
        {jobs.followed ? (
          <LiveBadge />
        ) : (
          <span class="muted small">Choose a team to follow changes live</span>
        )}
      </div>
      {!admin && <QuotaPanel tenant={null} />}
      {me.role !== "VIEWER" && (
        <details class="panel submit">
          <summary>Submit a job</summary>
          {options.error ? <ErrorNotice error={options.error} retry={options.reload} /> : null}
          <SubmitForm
            scorers={options.data?.scorers ?? []}
            competitions={competitions}
            tenants={tenantSlugs}
            onSubmitted={jobs.upsert}
          />
        </details>
      )}
      <section class="panel" aria-labelledby="jobs-heading">
        <h2 id="jobs-heading">Jobs</h2>
        <JobFilters params={params} competitions={competitions} tenants={tenantSlugs} />
        {jobs.liveError && (
          <p class="status warning" role="status">
            Live updates stopped: {jobs.liveError}
          </p>
        )}
        {jobs.error ? <ErrorNotice error={jobs.error} retry={jobs.reload} /> : null}
        {jobs.rows === null && !jobs.error && <Loading what="jobs" />}
        {jobs.rows?.length === 0 && (
          <Empty>
            {filter.states || filter.competition || filter.tenant
              ? "No jobs match these filters."
              : "No jobs yet. Submit one above; it will appear here and update as it runs."}
          </Empty>
        )}
        {jobs.rows && jobs.rows.length > 0 && (
          <JobTable rows={jobs.rows} showTenant={admin} onChanged={jobs.upsert} />
        )}
        {jobs.hasMore && (
          <button
            type="button"
            class="secondary"
            disabled={jobs.loadingMore}
            onClick={jobs.loadMore}
          >
            {jobs.loadingMore ? "Loading…" : "Show older jobs"}
          </button>
        )}
      </section>
    </>
  );
}
