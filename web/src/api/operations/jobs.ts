// The team dashboard's operations: the job list, its live feed, and the job actions.
import { ERROR_FIELDS, SUBMISSION_ERROR_FIELDS } from "../errors.ts";

export const JOB_ROW = `fragment JobRow on Job {
  __typename id jobId state attempt maxAttempts cancelRequested errorCode
  submittedAt startedAt finishedAt scorer taskType inputUri
  tenant { slug name }
  competition { slug title }
  phase { slug name }
  result { score }
}`;

export const JOB_EVENT = `fragment JobEventFields on JobEvent {
  id at attempt fromState toState errorCode message
}`;

/**
 * A page of jobs, and the newest job's events: the last of those is a cursor from before
 * this snapshot, from which the live feed resumes (so no change is lost in between).
 */
export const JOBS_QUERY = `query Jobs($filter: JobFilter, $first: Int!, $after: String, $tenant: String) {
  jobs(filter: $filter, first: $first, after: $after) {
    edges { cursor node { ...JobRow } }
    pageInfo { hasNextPage endCursor }
  }
  newest: jobs(first: 1, filter: { tenant: $tenant }) {
    edges { node { id events { id } } }
  }
}
${JOB_ROW}`;

export const TENANT_JOBS_SUBSCRIPTION = `subscription TenantJobs($tenant: String, $after: String) {
  tenantJobs(tenant: $tenant, after: $after) {
    cursor
    event { ...JobEventFields }
    job { ...JobRow }
  }
}
${JOB_ROW}
${JOB_EVENT}`;

export const SUBMIT_JOB = `mutation SubmitJob($input: JobSpecInput!) {
  submitJob(input: $input) {
    __typename
    ... on Job { ...JobRow }
    ${SUBMISSION_ERROR_FIELDS}
  }
}
${JOB_ROW}`;

export const CANCEL_JOB = `mutation CancelJob($id: ID!) {
  cancelJob(id: $id) { __typename ... on Job { ...JobRow } ${ERROR_FIELDS} }
}
${JOB_ROW}`;

export const RETRY_JOB = `mutation RetryJob($id: ID!) {
  retryJob(id: $id) { __typename ... on Job { ...JobRow } ${SUBMISSION_ERROR_FIELDS} }
}
${JOB_ROW}`;

/** What the submit form and the filters offer: scorers, competitions and their phases. */
export const FORM_OPTIONS = `query FormOptions {
  scorers { name description defaultMetric }
  competitions(first: 100) {
    edges { node { slug title metric sortOrder scorer phases { slug name private revealedAt startsAt endsAt dailyLimit totalLimit } } }
  }
}`;
