// The job list: one row a job, newest first; the state cell updates as the job moves.
import type { JobRow } from "../../api/types.ts";
import { JobActions } from "../../components/job-actions.tsx";
import { StateBadge } from "../../components/state-badge.tsx";
import { formatDateTime, formatScore, inputName, shortId } from "../../lib/format.ts";
import { Link } from "../../router.tsx";

export function JobTable(props: {
  rows: JobRow[];
  showTenant: boolean;
  onChanged: (job: JobRow) => void;
}) {
  const { rows, showTenant, onChanged } = props;
  return (
    <div class="table-wrap">
      <table class="jobs">
        <caption class="visually-hidden">Jobs, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Job</th>
            {showTenant && <th scope="col">Team</th>}
            <th scope="col">State</th>
            <th scope="col">Scorer / competition</th>
            <th scope="col">Submitted</th>
            <th scope="col">Score</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((job) => (
            <tr key={job.id} data-job-id={job.id}>
              <td>
                <Link href={`/jobs/${job.id}`} class="mono">
                  {job.jobId ?? shortId(job.id)}
                </Link>
                <div class="muted small" title={job.inputUri}>
                  {inputName(job.inputUri, job.tenant.slug)}
                </div>
              </td>
              {showTenant && <td>{job.tenant.slug}</td>}
              <td>
                <StateBadge state={job.state} />
                {job.attempt > 1 && <div class="muted small">attempt {job.attempt}</div>}
                {job.errorCode && <div class="small error-text">{job.errorCode}</div>}
              </td>
              <td>
                {job.scorer}
                {job.competition && (
                  <div class="muted small">
                    {job.competition.title}
                    {job.phase ? ` · ${job.phase.name}` : ""}
                  </div>
                )}
              </td>
              <td>{formatDateTime(job.submittedAt)}</td>
              <td class="num">{formatScore(job.result?.score)}</td>
              <td>
                <JobActions job={job} onChanged={onChanged} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
