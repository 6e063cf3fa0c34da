// A tenant's usage against its quota, read once and then followed live.
import { ERROR_FIELDS } from "../errors.ts";

const USAGE_FIELDS = `tenant maxConcurrentJobs runningJobs maxQueuedJobs waitingJobs
  cpuMillis cpuMillisInUse memoryMb memoryMbInUse gpus gpusInUse maxJobSeconds
  submissionsPerDay submissionsToday remainingToday resetsAt`;

export const QUOTA_USAGE_QUERY = `query QuotaUsage($tenant: String) {
  quotaUsage(tenant: $tenant) { __typename ... on QuotaUsage { ${USAGE_FIELDS} } ${ERROR_FIELDS} }
}`;

export const QUOTA_USAGE_SUBSCRIPTION = `subscription QuotaUsageLive($tenant: String) {
  quotaUsage(tenant: $tenant) { ${USAGE_FIELDS} }
}`;
