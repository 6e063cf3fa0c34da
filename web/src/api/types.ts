// The shapes the pages select from the API (schema.graphql), written by hand beside the
// operations in ./operations; test/web/operations.test.ts validates every operation
// against the committed schema, so a renamed field fails a test rather than a page.
import type { JobState } from "../lib/job-states.ts";

export type { JobState };

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: PageInfo;
}

export interface JobRow {
  __typename: "Job";
  id: string;
  jobId: string | null;
  state: JobState;
  attempt: number;
  maxAttempts: number;
  cancelRequested: boolean;
  errorCode: string | null;
  submittedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  scorer: string;
  taskType: string;
  inputUri: string;
  tenant: { slug: string; name: string };
  competition: { slug: string; title: string } | null;
  phase: { slug: string; name: string } | null;
  result: { score: number | null } | null;
}

export interface JobEvent {
  id: string;
  at: string;
  attempt: number;
  fromState: JobState | null;
  toState: JobState;
  errorCode: string | null;
  message: string | null;
}

export interface LogChunk {
  cursor: string;
  at: string;
  attempt: number;
  stream: "stdout" | "stderr" | "system";
  text: string;
  lines: number;
  skipped: number;
}

export interface MetricSample {
  cursor: string;
  at: string;
  attempt: number;
  cpuMillis: number;
  memoryBytes: number;
  skipped: number;
}

export interface JobDetail extends JobRow {
  errorMessage: string | null;
  queuedAt: string | null;
  notBefore: string | null;
  priority: number;
  timeLimit: number;
  backend: string | null;
  executorPreference: string | null;
  scorerParams: unknown;
  container: { image?: string; cmd?: string[] } | null;
  resources: { cpu: string; memory: string; gpus: number };
  result: {
    score: number | null;
    attempt: number;
    summary: Record<string, unknown>;
    metrics: Record<string, unknown>;
    timing: Record<string, unknown>;
    versioning: Record<string, unknown>;
    createdAt: string;
  } | null;
}

export interface JobUpdate {
  cursor: string;
  event: JobEvent;
}

export interface QuotaUsage {
  tenant: string;
  maxConcurrentJobs: number;
  runningJobs: number;
  maxQueuedJobs: number;
  waitingJobs: number;
  cpuMillis: number;
  cpuMillisInUse: number;
  memoryMb: number;
  memoryMbInUse: number;
  gpus: number;
  gpusInUse: number;
  maxJobSeconds: number;
  submissionsPerDay: number;
  submissionsToday: number;
  remainingToday: number;
  resetsAt: string;
}

export interface Phase {
  slug: string;
  name: string;
  private: boolean;
  revealedAt: string | null;
  startsAt: string | null;
  endsAt: string | null;
  dailyLimit: number | null;
  totalLimit: number | null;
}

export interface Competition {
  slug: string;
  title: string;
  metric: string;
  sortOrder: "ASC" | "DESC";
  scorer: string;
  phases: Phase[];
}

export interface LeaderboardEntry {
  rank: number | null;
  score: number | null;
  metrics: Record<string, number> | null;
  mine: boolean;
  jobId: string | null;
  submittedAt: string;
  team: { slug: string; name: string };
}

export interface Leaderboard {
  __typename: "Leaderboard";
  competition: string;
  phase: string;
  phaseName: string;
  title: string;
  metric: string;
  sortOrder: "ASC" | "DESC";
  tiebreakMetrics: string[];
  private: boolean;
  revealedAt: string | null;
  scoresHidden: boolean;
  teams: number;
  own: LeaderboardEntry | null;
  entries: Connection<LeaderboardEntry>;
}

export interface Scorer {
  name: string;
  description: string;
  defaultMetric: string;
}

export interface Quota {
  maxConcurrentJobs: number;
  maxQueuedJobs: number;
  cpuMillis: number;
  memoryMb: number;
  gpus: number;
  maxJobSeconds: number;
  submissionsPerDay: number;
  updatedAt: string;
}

export interface Tenant {
  __typename: "Tenant";
  id: string;
  slug: string;
  name: string;
  status: "ACTIVE" | "SUSPENDED";
  weight: number;
  createdAt: string;
  quota: Quota | null;
}

export interface ApiKey {
  __typename: "ApiKey";
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  user: { email: string; name: string };
}

export interface ExecutorCapacity {
  jobs: number;
  cpuMillis: number;
  memoryMb: number;
  gpus: number;
}

export interface ExecutorNode {
  __typename: "ExecutorNode";
  id: string;
  name: string;
  kind: "DOCKER" | "KUBERNETES" | "LOCAL";
  status: "ACTIVE" | "DRAINING";
  healthy: boolean;
  circuit: "CLOSED" | "HALF_OPEN" | "OPEN";
  consecutiveFailures: number;
  load: number;
  lastHeartbeatAt: string;
  used: ExecutorCapacity;
  capacity: ExecutorCapacity;
}

export interface AuditLog {
  id: string;
  at: string;
  action: string;
  targetType: string;
  targetId: string | null;
  tenantId: string | null;
  actorUserId: string | null;
  actorKeyId: string | null;
  requestId: string | null;
  before: unknown;
  after: unknown;
}

export interface TenantQueue {
  tenant: string;
  waiting: number;
  running: number;
  maxConcurrentJobs: number;
  oldestWaitingSince: string | null;
}
