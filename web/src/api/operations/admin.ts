// The admin console's operations (platform-admin keys): tenants, quotas, API keys,
// executors, the waiting line, the audit log, and revealing private phases.
import { ERROR_FIELDS } from "../errors.ts";

const TENANT_FIELDS = `__typename id slug name status weight createdAt
  quota { maxConcurrentJobs maxQueuedJobs cpuMillis memoryMb gpus maxJobSeconds submissionsPerDay updatedAt }`;

const KEY_FIELDS =
  "__typename id name prefix createdAt expiresAt lastUsedAt revokedAt user { email name }";

export const TENANTS_QUERY = `query Tenants($after: String) {
  tenants(first: 100, after: $after) {
    edges { node { ${TENANT_FIELDS} } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const TENANT_QUERY = `query Tenant($slug: String!) {
  tenant(slug: $slug) {
    __typename
    ... on Tenant {
      ${TENANT_FIELDS}
      apiKeys { __typename ... on TenantApiKeysSuccess { data { ${KEY_FIELDS} } } ${ERROR_FIELDS} }
    }
    ${ERROR_FIELDS}
  }
}`;

export const CREATE_TENANT = `mutation CreateTenant($input: CreateTenantInput!) {
  createTenant(input: $input) { ... on Tenant { ${TENANT_FIELDS} } ${ERROR_FIELDS} __typename }
}`;

export const SUSPEND_TENANT = `mutation SuspendTenant($slug: String!) {
  suspendTenant(slug: $slug) { ... on Tenant { ${TENANT_FIELDS} } ${ERROR_FIELDS} __typename }
}`;

export const RESUME_TENANT = `mutation ResumeTenant($slug: String!) {
  resumeTenant(slug: $slug) { ... on Tenant { ${TENANT_FIELDS} } ${ERROR_FIELDS} __typename }
}`;

export const SET_QUOTA = `mutation SetQuota($tenant: String!, $input: QuotaInput!) {
  setQuota(tenant: $tenant, input: $input) {
    __typename
    ... on Quota { maxConcurrentJobs maxQueuedJobs cpuMillis memoryMb gpus maxJobSeconds submissionsPerDay updatedAt }
    ${ERROR_FIELDS}
  }
}`;

export const CREATE_API_KEY = `mutation CreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) {
    __typename
    ... on CreatedApiKey { token apiKey { ${KEY_FIELDS} } }
    ${ERROR_FIELDS}
  }
}`;

export const REVOKE_API_KEY = `mutation RevokeApiKey($id: ID!) {
  revokeApiKey(id: $id) { ... on ApiKey { ${KEY_FIELDS} } ${ERROR_FIELDS} __typename }
}`;

const EXECUTOR_FIELDS = `__typename id name kind status healthy circuit consecutiveFailures load lastHeartbeatAt
  used { jobs cpuMillis memoryMb gpus }
  capacity { jobs cpuMillis memoryMb gpus }`;

export const EXECUTORS_QUERY = `query Executors { executors { ${EXECUTOR_FIELDS} } }`;

export const EXECUTOR_LOAD_SUBSCRIPTION = `subscription ExecutorLoad { executorLoad { ${EXECUTOR_FIELDS} } }`;

export const DRAIN_EXECUTOR = `mutation DrainExecutor($name: String!) {
  drainExecutor(name: $name) { ... on ExecutorNode { ${EXECUTOR_FIELDS} } ${ERROR_FIELDS} __typename }
}`;

export const RESUME_EXECUTOR = `mutation ResumeExecutor($name: String!) {
  resumeExecutor(name: $name) { ... on ExecutorNode { ${EXECUTOR_FIELDS} } ${ERROR_FIELDS} __typename }
}`;

export const QUEUE_QUERY = `query Queue {
  queue { tenant waiting running maxConcurrentJobs oldestWaitingSince }
}`;

export const AUDIT_LOGS_QUERY = `query AuditLogs($filter: AuditLogFilter, $after: String) {
  auditLogs(filter: $filter, first: 50, after: $after) {
    __typename
    ... on QueryAuditLogsConnection {
      edges { node { id at action targetType targetId tenantId actorUserId actorKeyId requestId before after } }
      pageInfo { hasNextPage endCursor }
    }
    ${ERROR_FIELDS}
  }
}`;

export const REVEAL_PHASE = `mutation RevealPhase($competition: String!, $phase: String!) {
  revealPhase(competition: $competition, phase: $phase) {
    __typename
    ... on RevealedPhase { competition phase revealedAt }
    ${ERROR_FIELDS}
  }
}`;
