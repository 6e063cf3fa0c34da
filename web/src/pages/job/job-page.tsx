// One job: what was asked, where it stands (live), why it failed, its result, its
// history, its output and its CPU and memory, all updating without a reload.
import { JobActions } from "../../components/job-actions.tsx";
import { LiveBadge } from "../../components/live-badge.tsx";
import { StateBadge } from "../../components/state-badge.tsx";
import { ErrorNotice, Loading } from "../../components/status.tsx";
import { formatDateTime, formatDuration, secondsBetween, shortId } from "../../lib/format.ts";
import { isActive } from "../../lib/job-states.ts";
import { Link } from "../../router.tsx";
import { FailureView } from "./failure-view.tsx";
import { JobLogs } from "./job-logs.tsx";
import { ResultView } from "./result-view.tsx";
import { Timeline } from "./timeline.tsx";
import { UsageCharts } from "./usage-charts.tsx";
import { useLiveJob } from "./use-live-job.ts";

export function JobPage({ id }: { id: string }) {
  const live = useLiveJob(id);
  const { job } = live;
  if (live.error) {
    return (
      <>
        <h1 tabIndex={-1}>Job {shortId(id)}</h1>
        <ErrorNotice error={live.error} retry={live.reload} />
        <p>
          <Link href="/jobs">Back to the jobs</Link>
        </p>
      </>
    );
  }
  if (!job) return <Loading what="the job" />;
  const ran = job.startedAt ? formatDuration(secondsBetween(job.startedAt, job.finishedAt)) : null;
  return (
    <>
      <p class="crumbs">
        <Link href="/jobs">Jobs</Link> / <span class="mono">{shortId(job.id)}</span>
      </p>
      <div class="page-head">
        <h1 tabIndex={-1}>
          Job <span class="mono">{job.jobId ?? shortId(job.id)}</span>
        </h1>
        <span data-testid="job-state">
          <StateBadge state={job.state} />
        </span>
        {isActive(job.state) && <LiveBadge />}
        <JobActions job={job} onChanged={live.replace} />
      </div>
      <dl class="facts">
        <dt>Team</dt>
        <dd>{job.tenant.name}</dd>
        <dt>Scorer</dt>
        <dd>{job.scorer}</dd>
        {job.competition && (
          <>
            <dt>Competition</dt>
            <dd>
              <Link
                href={`/leaderboard/${job.competition.slug}${job.phase ? `/${job.phase.slug}` : ""}`}
              >
                {job.competition.title}
                {job.phase ? ` · ${job.phase.name}` : ""}
              </Link>
            </dd>
          </>
        )}
        <dt>Input</dt>
        <dd class="mono">{job.inputUri}</dd>
        <dt>Resources</dt>
        <dd>
          {job.resources.cpu} CPU · {job.resources.memory}
          {job.resources.gpus ? ` · ${job.resources.gpus} GPU` : ""} · limit{" "}
          {formatDuration(job.timeLimit)}
        </dd>
        <dt>Submitted</dt>
        <dd>{formatDateTime(job.submittedAt)}</dd>
        {ran && (
          <>
            <dt>{job.finishedAt ? "Ran for" : "Running for"}</dt>
            <dd>{ran}</dd>
          </>
        )}
        <dt>Attempt</dt>
        <dd>
          {job.attempt} of {job.maxAttempts}
          {job.backend ? ` · ${job.backend.toLowerCase()} executor` : ""}
        </dd>
        <dt>Id</dt>
        <dd class="mono small">{job.id}</dd>
      </dl>
      {live.liveErrors.length > 0 && (
        <p class="status warning" role="status">
          Live updates stopped: {live.liveErrors.join("; ")}
        </p>
      )}
      <FailureView job={job} />
      {job.result && <ResultView result={job.result} />}
      <Timeline events={live.events} />
      <JobLogs chunks={live.logs} />
      <UsageCharts samples={live.samples} />
    </>
  );
}
