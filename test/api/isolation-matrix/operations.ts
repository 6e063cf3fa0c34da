// One operation per root field, naming the target tenant's objects, selecting the fields
// that would carry alpha's markers if they leaked. `restore` undoes what an allowed caller
// changed, so the next cell starts from the same world.
import type { TenantObjects, World } from "./world.ts";

export interface Operation {
  query: string;
  variables: Record<string, unknown>;
}

export interface Row {
  build(t: TenantObjects, w: World): Promise<Operation> | Operation;
  restore?(w: World): Promise<void>;
  /** Subscriptions only: makes the target tenant's next event happen. */
  trigger?(t: TenantObjects, w: World): Promise<void>;
}

const ERROR = "... on Error { code message }";
const JOB = "id jobId state tenant { id name slug } result { score }";
const TENANT = "id slug name status";
let serial = 0;
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${serial++}`;

const op = (query: string, variables: Record<string, unknown> = {}): Operation => ({
  query,
  variables,
});

async function admin(w: World, query: string, variables: Record<string, unknown> = {}) {
  await w.p.api.gql(query, variables);
}

const submitAs = async (t: TenantObjects, w: World) => {
  await admin(w, `mutation($input: JobSpecInput!) { submitJob(input: $input) { __typename } }`, {
    input: {
      tenant: t.slug,
      taskType: "classification",
      inputUri: "matrix",
      scorer: "classification_f1",
    },
  });
};

export const QUERIES: Record<string, Row> = {
  auditLogs: {
    build: (t) =>
      op(
        `query($tenant: String) { auditLogs(first: 50, filter: { tenant: $tenant }) {
           __typename ... on QueryAuditLogsConnection { edges { node { tenantId targetId after } } } ${ERROR} } }`,
        { tenant: t.slug },
      ),
  },
  competition: {
    build: (_t, w) =>
      op(
        `query($slug: String!) { competition(slug: $slug) { __typename ... on Competition { slug } ${ERROR} } }`,
        {
          slug: w.competition,
        },
      ),
  },
  competitions: { build: () => op(`{ competitions(first: 10) { edges { node { slug } } } }`) },
  executors: { build: () => op(`{ executors { name status } }`) },
  job: {
    build: (t) =>
      op(
        `query($id: ID!) { job(id: $id) { __typename ... on Job { ${JOB} events { toState } logs { text } } ${ERROR} } }`,
        {
          id: t.jobId,
        },
      ),
  },
  jobs: {
    build: (t) =>
      op(
        `query($tenant: String) { jobs(first: 50, filter: { tenant: $tenant }) { edges { node { ${JOB} } } } }`,
        { tenant: t.slug },
      ),
  },
  leaderboard: {
    build: (_t, w) =>
      op(
        `query($c: String!) { leaderboard(competition: $c) { __typename
           ... on Leaderboard { entries(first: 10) { edges { node { team { slug } score } } } own { team { slug } score } } ${ERROR} } }`,
        { c: w.competition },
      ),
  },
  me: { build: () => op(`{ me { role isPlatformAdmin tenant { ${TENANT} } } }`) },
  queue: { build: () => op(`{ queue { tenant waiting running } }`) },
  quotaUsage: {
    build: (t) =>
      op(
        `query($tenant: String) { quotaUsage(tenant: $tenant) { __typename ... on QuotaUsage { tenant submissionsToday } ${ERROR} } }`,
        {
          tenant: t.slug,
        },
      ),
  },
  scorers: { build: () => op(`{ scorers { name } }`) },
  tenant: {
    build: (t) =>
      op(
        `query($slug: String!) { tenant(slug: $slug) { __typename ... on Tenant { ${TENANT} quota { maxConcurrentJobs } } ${ERROR} } }`,
        {
          slug: t.slug,
        },
      ),
  },
  tenants: { build: () => op(`{ tenants(first: 50) { edges { node { ${TENANT} } } } }`) },
  webhooks: {
    build: (t) =>
      op(
        `query($tenant: String!) { webhooks(tenant: $tenant) { __typename ... on QueryWebhooksSuccess { data { id url } } ${ERROR} } }`,
        {
          tenant: t.slug,
        },
      ),
  },
};

export const MUTATIONS: Record<string, Row> = {
  cancelJob: {
    build: (t) =>
      op(
        `mutation($id: ID!) { cancelJob(id: $id) { __typename ... on Job { ${JOB} } ${ERROR} } }`,
        { id: t.jobId },
      ),
  },
  createApiKey: {
    build: (t) =>
      op(
        `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { __typename ... on CreatedApiKey { apiKey { id } } ${ERROR} } }`,
        { input: { tenant: t.slug, name: unique("matrix-key"), role: "VIEWER" } },
      ),
  },
  createCompetition: {
    build: () =>
      op(
        `mutation($input: CreateCompetitionInput!) { createCompetition(input: $input) { __typename ${ERROR} } }`,
        {
          input: {
            slug: unique("cup"),
            title: "Another cup",
            scorer: "classification_f1",
            metric: "accuracy",
            phases: [{ slug: "dev", name: "Development" }],
          },
        },
      ),
  },
  createTenant: {
    build: () =>
      op(
        `mutation($input: CreateTenantInput!) { createTenant(input: $input) { __typename ${ERROR} } }`,
        {
          input: { slug: unique("team"), name: "New team" },
        },
      ),
  },
  createWebhook: {
    build: (t) =>
      op(
        `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { __typename ... on CreatedWebhook { webhook { id url } } ${ERROR} } }`,
        { input: { tenant: t.slug, url: "https://hooks.example.net/new" } },
      ),
  },
  deleteWebhook: {
    build: async (t) =>
      op(`mutation($id: ID!) { deleteWebhook(id: $id) { __typename ${ERROR} } }`, {
        id: await t.freshWebhook(),
      }),
  },
  drainExecutor: {
    build: (_t, w) =>
      op(`mutation($name: String!) { drainExecutor(name: $name) { __typename ${ERROR} } }`, {
        name: w.executorName,
      }),
    restore: (w) =>
      admin(w, `mutation($name: String!) { resumeExecutor(name: $name) { __typename } }`, {
        name: w.executorName,
      }),
  },
  reloadScorers: { build: () => op(`mutation { reloadScorers { __typename ${ERROR} } }`) },
  resumeExecutor: {
    build: async (_t, w) => {
      await admin(w, `mutation($name: String!) { drainExecutor(name: $name) { __typename } }`, {
        name: w.executorName,
      });
      return op(
        `mutation($name: String!) { resumeExecutor(name: $name) { __typename ${ERROR} } }`,
        {
          name: w.executorName,
        },
      );
    },
    restore: (w) =>
      admin(w, `mutation($name: String!) { resumeExecutor(name: $name) { __typename } }`, {
        name: w.executorName,
      }),
  },
  resumeTenant: {
    build: (t) =>
      op(`mutation($slug: String!) { resumeTenant(slug: $slug) { __typename ${ERROR} } }`, {
        slug: t.slug,
      }),
    restore: (w) => admin(w, `mutation { suspendTenant(slug: "gamma") { __typename } }`),
  },
  retryJob: {
    build: (t) =>
      op(`mutation($id: ID!) { retryJob(id: $id) { __typename ... on Job { ${JOB} } ${ERROR} } }`, {
        id: t.jobId,
      }),
  },
  revealPhase: {
    build: (_t, w) =>
      op(
        `mutation($c: String!, $p: String!) { revealPhase(competition: $c, phase: $p) { __typename ${ERROR} } }`,
        {
          c: w.competition,
          p: w.phase,
        },
      ),
  },
  revokeApiKey: {
    build: async (t) =>
      op(`mutation($id: ID!) { revokeApiKey(id: $id) { __typename ${ERROR} } }`, {
        id: await t.freshKeyId(),
      }),
  },
  setQuota: {
    build: (t) =>
      op(
        `mutation($tenant: String!) { setQuota(tenant: $tenant, input: { maxConcurrentJobs: 4 }) { __typename ${ERROR} } }`,
        {
          tenant: t.slug,
        },
      ),
  },
  submitJob: {
    build: (t) =>
      op(
        `mutation($input: JobSpecInput!) { submitJob(input: $input) { __typename ... on Job { ${JOB} } ${ERROR} } }`,
        {
          input: {
            tenant: t.slug,
            taskType: "classification",
            inputUri: "matrix",
            scorer: "classification_f1",
          },
        },
      ),
  },
  suspendTenant: {
    build: (t) =>
      op(`mutation($slug: String!) { suspendTenant(slug: $slug) { __typename ${ERROR} } }`, {
        slug: t.slug,
      }),
    restore: async (w) => {
      await admin(w, `mutation { resumeTenant(slug: "alpha") { __typename } }`);
      await admin(w, `mutation { suspendTenant(slug: "gamma") { __typename } }`);
    },
  },
  updateCompetition: {
    build: (_t, w) =>
      op(
        `mutation($slug: String!) { updateCompetition(slug: $slug, input: { title: "Matrix cup" }) { __typename ${ERROR} } }`,
        {
          slug: w.competition,
        },
      ),
  },
  updateTenant: {
    build: (t) =>
      op(
        `mutation($slug: String!) { updateTenant(slug: $slug, input: { weight: 1 }) { __typename ... on Tenant { ${TENANT} } ${ERROR} } }`,
        {
          slug: t.slug,
        },
      ),
  },
  updateWebhook: {
    build: async (t) =>
      op(
        `mutation($id: ID!) { updateWebhook(id: $id, input: { enabled: true }) { __typename ... on Webhook { id url } ${ERROR} } }`,
        {
          id: await t.freshWebhook(),
        },
      ),
  },
};

export const SUBSCRIPTIONS: Record<string, Row> = {
  executorLoad: { build: () => op(`subscription { executorLoad { name } }`) },
  jobLogs: {
    build: (t) => op(`subscription($id: ID!) { jobLogs(id: $id) { text } }`, { id: t.jobId }),
  },
  jobMetrics: {
    build: (t) =>
      op(`subscription($id: ID!) { jobMetrics(id: $id) { cpuMillis } }`, { id: t.jobId }),
  },
  jobUpdated: {
    build: (t) =>
      op(`subscription($id: ID!) { jobUpdated(id: $id) { job { ${JOB} } } }`, { id: t.jobId }),
  },
  leaderboardUpdated: {
    build: (_t, w) =>
      op(
        `subscription($c: String!) { leaderboardUpdated(competition: $c) { own { team { slug } score } entries(first: 10) { edges { node { team { slug } score } } } } }`,
        {
          c: w.competition,
        },
      ),
    trigger: submitAs,
  },
  quotaUsage: {
    build: (t) =>
      op(
        `subscription($tenant: String) { quotaUsage(tenant: $tenant) { tenant submissionsToday } }`,
        { tenant: t.slug },
      ),
    trigger: submitAs,
  },
  tenantJobs: {
    build: (t) =>
      op(`subscription($tenant: String) { tenantJobs(tenant: $tenant) { job { ${JOB} } } }`, {
        tenant: t.slug,
      }),
    trigger: submitAs,
  },
};
