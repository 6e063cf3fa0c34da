// Filters of the job list, kept in the address (?state=…&competition=…&tenant=…) so a
// filtered view can be bookmarked and the back button undoes a change.
import type { TargetedEvent } from "preact";
import type { Competition } from "../../api/types.ts";
import { ACTIVE_STATES, JOB_STATES, type JobState, STATE_LABELS } from "../../lib/job-states.ts";
import { navigate, queryString } from "../../router.tsx";
import type { JobListFilter } from "./job-list.ts";

const FINISHED: JobState[] = ["SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED"];

export interface FilterParams {
  state: string;
  competition: string;
  tenant: string;
}

export function filterFromParams(params: FilterParams): JobListFilter {
  const states =
    params.state === "active"
      ? [...ACTIVE_STATES]
      : params.state === "finished"
        ? FINISHED
        : (JOB_STATES as readonly string[]).includes(params.state)
          ? [params.state as JobState]
          : null;
  return { states, competition: params.competition || null, tenant: params.tenant || null };
}

export function JobFilters(props: {
  params: FilterParams;
  competitions: Competition[];
  tenants: string[] | null;
}) {
  const { params, competitions, tenants } = props;
  const change = (name: keyof FilterParams) => (event: TargetedEvent<HTMLSelectElement>) =>
    navigate(`/jobs${queryString({ ...params, [name]: event.currentTarget.value })}`);
  return (
    <fieldset class="filters">
      <legend class="visually-hidden">Filter jobs</legend>
      <label>
        State
        <select value={params.state} onChange={change("state")}>
          <option value="">All states</option>
          <option value="active">Active (pending, queued, running)</option>
          <option value="finished">Finished</option>
          {JOB_STATES.map((state) => (
            <option key={state} value={state}>
              {STATE_LABELS[state]}
            </option>
          ))}
        </select>
      </label>
      <label>
        Competition
        <select value={params.competition} onChange={change("competition")}>
          <option value="">All competitions</option>
          {competitions.map((c) => (
            <option key={c.slug} value={c.slug}>
              {c.title}
            </option>
          ))}
        </select>
      </label>
      {tenants && (
        <label>
          Team
          <select value={params.tenant} onChange={change("tenant")}>
            <option value="">All teams (not live)</option>
            {tenants.map((slug) => (
              <option key={slug} value={slug}>
                {slug}
              </option>
            ))}
          </select>
        </label>
      )}
    </fieldset>
  );
}
