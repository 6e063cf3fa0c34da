// Submitting a job from the page: a JobSpec form. The API validates; its typed errors
// come back beside the fields (ValidationError.issues) or as a notice (QUOTA_EXCEEDED,
// DAILY_LIMIT_REACHED with when the window reopens).
import type { TargetedEvent } from "preact";
import { useRef, useState } from "preact/hooks";
import { ApiError, type FieldIssue, messageOf, unwrap } from "../../api/errors.ts";
import { SUBMIT_JOB } from "../../api/operations/jobs.ts";
import { useSession } from "../../api/session.ts";
import type { Competition, JobRow, Scorer } from "../../api/types.ts";
import { Field } from "../../components/field.tsx";
import { explainCode } from "../../lib/error-codes.ts";
import { formatDateTime, shortId } from "../../lib/format.ts";
import { Link } from "../../router.tsx";
import { buildSpec, emptySpec, issuesFor, type SpecField, type SpecFields } from "./job-spec.ts";

interface Props {
  scorers: Scorer[];
  competitions: Competition[];
  tenants: string[] | null;
  onSubmitted(job: JobRow): void;
}

export function SubmitForm({ scorers, competitions, tenants, onSubmitted }: Props) {
  const session = useSession();
  const [fields, setFields] = useState<SpecFields>(emptySpec);
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [failure, setFailure] = useState<ApiError | string | null>(null);
  const [submitted, setSubmitted] = useState<JobRow | null>(null);
  const [busy, setBusy] = useState(false);
  const summary = useRef<HTMLDivElement>(null);
  const competition = competitions.find((c) => c.slug === fields.competition);

  const bind = (field: SpecField) => ({
    value: fields[field],
    name: field,
    onInput: (event: TargetedEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>) => {
      const value = event.currentTarget.value;
      setFields((current) => ({ ...current, [field]: value }));
    },
  });

  const submit = async (event: Event) => {
    event.preventDefault();
    setFailure(null);
    setSubmitted(null);
    const { input, issues: local } = buildSpec(fields);
    if (local.length > 0) {
      setIssues(local);
      setFailure("Some fields need fixing before the job can be sent.");
      return;
    }
    setBusy(true);
    try {
      const data = await session.request<{ submitJob: JobRow }>(SUBMIT_JOB, { input });
      const job = unwrap(data.submitJob);
      setIssues([]);
      setSubmitted(job);
      onSubmitted(job);
    } catch (error) {
      setIssues(error instanceof ApiError ? error.issues : []);
      setFailure(error instanceof ApiError ? error : messageOf(error));
      // Bring the summary into view and to the screen reader.
      queueMicrotask(() => summary.current?.focus());
    } finally {
      setBusy(false);
    }
  };

  const id = (field: SpecField) => `spec-${field.replace(".", "-")}`;
  return (
    <form class="submit-form" onSubmit={submit} noValidate aria-label="Submit a job">
      <div ref={summary} tabIndex={-1} aria-live="polite">
        {failure && <SubmitFailure failure={failure} issues={issues} />}
        {submitted && (
          <p class="status success">
            Submitted job{" "}
            <Link href={`/jobs/${submitted.id}`} class="mono">
              {submitted.jobId ?? shortId(submitted.id)}
            </Link>
            .
          </p>
        )}
      </div>
      <div class="form-grid">
        {tenants && (
          <Field id={id("tenant")} label="Team" issues={issuesFor(issues, "tenant")}>
            {(aria) => (
              <select {...aria} {...bind("tenant")} required>
                <option value="">Choose a team</option>
                {tenants.map((slug) => (
                  <option key={slug} value={slug}>
                    {slug}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        <Field
          id={id("inputUri")}
          label="Input folder"
          hint="A folder of your team's inputs, e.g. round-1"
          issues={issuesFor(issues, "inputUri")}
        >
          {(aria) => <input {...aria} {...bind("inputUri")} required autoComplete="off" />}
        </Field>
        <Field id={id("taskType")} label="Task type" issues={issuesFor(issues, "taskType")}>
          {(aria) => <input {...aria} {...bind("taskType")} required />}
        </Field>
        <Field
          id={id("competition")}
          label="Competition"
          hint="Optional; its scorer is used"
          issues={issuesFor(issues, "competition")}
        >
          {(aria) => (
            <select {...aria} {...bind("competition")}>
              <option value="">None</option>
              {competitions.map((c) => (
                <option key={c.slug} value={c.slug}>
                  {c.title}
                </option>
              ))}
            </select>
          )}
        </Field>
        {competition && (
          <Field
            id={id("phase")}
            label="Phase"
            hint="Default: the phase open now"
            issues={issuesFor(issues, "phase")}
          >
            {(aria) => (
              <select {...aria} {...bind("phase")}>
                <option value="">The open phase</option>
                {competition.phases.map((p) => (
                  <option key={p.slug} value={p.slug}>
                    {p.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        {!competition && (
          <Field id={id("scorer")} label="Scorer" issues={issuesFor(issues, "scorer")}>
            {(aria) => (
              <select {...aria} {...bind("scorer")}>
                <option value="">Choose a scorer</option>
                {scorers.map((s) => (
                  <option key={s.name} value={s.name}>
                    {s.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        {!competition && (
          <Field
            id={id("scorerParams")}
            label="Scorer parameters (JSON)"
            hint='e.g. {"metric": "accuracy"}'
            issues={issuesFor(issues, "scorerParams")}
          >
            {(aria) => <input {...aria} {...bind("scorerParams")} class="mono" />}
          </Field>
        )}
      </div>
      <details class="advanced">
        <summary>Resources, limits and an inference container</summary>
        <div class="form-grid">
          <Field
            id={id("resources.cpu")}
            label="CPU"
            hint='Cores: "1", "0.5" or "500m"'
            issues={issuesFor(issues, "resources.cpu")}
          >
            {(aria) => <input {...aria} {...bind("resources.cpu")} />}
          </Field>
          <Field
            id={id("resources.memory")}
            label="Memory"
            hint='"512Mi", "4Gi"'
            issues={issuesFor(issues, "resources.memory")}
          >
            {(aria) => <input {...aria} {...bind("resources.memory")} />}
          </Field>
          <Field
            id={id("resources.gpus")}
            label="GPUs"
            issues={issuesFor(issues, "resources.gpus")}
          >
            {(aria) => <input {...aria} {...bind("resources.gpus")} type="number" min={0} />}
          </Field>
          <Field
            id={id("timeLimit")}
            label="Time limit (seconds)"
            issues={issuesFor(issues, "timeLimit")}
          >
            {(aria) => <input {...aria} {...bind("timeLimit")} type="number" min={1} />}
          </Field>
          <Field
            id={id("priority")}
            label="Priority"
            hint="-100 to 100, higher first"
            issues={issuesFor(issues, "priority")}
          >
            {(aria) => <input {...aria} {...bind("priority")} type="number" min={-100} max={100} />}
          </Field>
          <Field id={id("executor")} label="Executor" issues={issuesFor(issues, "executor")}>
            {(aria) => (
              <select {...aria} {...bind("executor")}>
                <option value="">Any</option>
                <option value="DOCKER">Docker</option>
                <option value="KUBERNETES">Kubernetes</option>
                <option value="LOCAL">Local</option>
              </select>
            )}
          </Field>
          <Field
            id={id("container.image")}
            label="Container image"
            hint="Runs before scoring; writes output/pred.*"
            issues={issuesFor(issues, "container.image")}
          >
            {(aria) => <input {...aria} {...bind("container.image")} class="mono" />}
          </Field>
          <Field
            id={id("container.cmd")}
            label="Command"
            hint="One argument per line"
            issues={issuesFor(issues, "container.cmd")}
          >
            {(aria) => <textarea {...aria} {...bind("container.cmd")} rows={3} class="mono" />}
          </Field>
          <Field
            id={id("container.env")}
            label="Environment (JSON)"
            hint='e.g. {"SEED": "1"}'
            issues={issuesFor(issues, "container.env")}
          >
            {(aria) => <input {...aria} {...bind("container.env")} class="mono" />}
          </Field>
          <Field
            id={id("jobId")}
            label="Idempotency key"
            hint="Optional; a repeat with the same key is not run twice"
            issues={issuesFor(issues, "jobId")}
          >
            {(aria) => <input {...aria} {...bind("jobId")} />}
          </Field>
        </div>
      </details>
      <button type="submit" disabled={busy}>
        {busy ? "Submitting…" : "Submit job"}
      </button>
    </form>
  );
}

function SubmitFailure({ failure, issues }: { failure: ApiError | string; issues: FieldIssue[] }) {
  if (typeof failure === "string") {
    return (
      <div class="status error" role="alert">
        <p>{failure}</p>
      </div>
    );
  }
  return (
    <div class="status error" role="alert">
      <p>
        <strong>{failure.code}</strong>: {explainCode(failure.code)}
      </p>
      <p class="detail">{failure.message}</p>
      {failure.resetsAt && <p>Submissions open again {formatDateTime(failure.resetsAt)}.</p>}
      {issues.length > 0 && (
        <ul>
          {issues.map((issue) => (
            <li key={`${issue.field}:${issue.message}`}>
              <span class="mono">{issue.field}</span>: {issue.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
