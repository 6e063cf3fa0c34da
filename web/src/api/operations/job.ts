// One job's page: its details, history, output and usage, then each followed live from
// where the snapshot ends.
import { ERROR_FIELDS } from "../errors.ts";
import { JOB_EVENT, JOB_ROW } from "./jobs.ts";

const LOG_FIELDS = "cursor at attempt stream text lines skipped";
const METRIC_FIELDS = "cursor at attempt cpuMillis memoryBytes skipped";

export const JOB_QUERY = `query Job($id: ID!) {
  job(id: $id) {
    __typename
    ... on Job {
      ...JobRow
      errorMessage queuedAt notBefore priority timeLimit backend executorPreference
      scorerParams container
      resources { cpu memory gpus }
      result { score attempt summary metrics timing versioning createdAt }
      events { ...JobEventFields }
      logs(last: 200) { ${LOG_FIELDS} }
      metrics(last: 600) { ${METRIC_FIELDS} }
    }
    ${ERROR_FIELDS}
  }
}
${JOB_ROW}
${JOB_EVENT}`;

/** The job's detail fields again, so one update refreshes the whole page. */
export const JOB_UPDATED_SUBSCRIPTION = `subscription JobUpdated($id: ID!, $after: String) {
  jobUpdated(id: $id, after: $after) {
    cursor
    event { ...JobEventFields }
    job {
      ...JobRow
      errorMessage queuedAt notBefore
      result { score attempt summary metrics timing versioning createdAt }
    }
  }
}
${JOB_ROW}
${JOB_EVENT}`;

export const JOB_LOGS_SUBSCRIPTION = `subscription JobLogs($id: ID!, $after: String) {
  jobLogs(id: $id, after: $after) { ${LOG_FIELDS} }
}`;

export const JOB_METRICS_SUBSCRIPTION = `subscription JobMetrics($id: ID!, $after: String) {
  jobMetrics(id: $id, after: $after) { ${METRIC_FIELDS} }
}`;
