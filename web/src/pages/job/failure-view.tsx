// Why a job did not succeed, in plain words first, then the platform's own message.
import type { JobDetail } from "../../api/types.ts";
import { explainCode } from "../../lib/error-codes.ts";

export function FailureView({ job }: { job: JobDetail }) {
  if (!job.errorCode) return null;
  return (
    <section class="panel failure" aria-labelledby="failure-heading" role="alert">
      <h2 id="failure-heading">Why it {job.state === "CANCELLED" ? "stopped" : "failed"}</h2>
      <p>
        <strong class="mono">{job.errorCode}</strong>: {explainCode(job.errorCode)}
      </p>
      {job.errorMessage && <p class="detail">{job.errorMessage}</p>}
    </section>
  );
}
