// Every live feed of one API process, over its one LISTEN connection: what the
// Subscription fields read. Made once per process in the wiring (src/app/platform.ts).
import type { Database } from "../db/database.ts";
import type { Subscriber } from "../db/pubsub.ts";
import {
  LOGS_TOPIC,
  type LogChunk,
  lastLogChunks,
  lastMetricSamples,
  logChunksAfter,
  METRICS_TOPIC,
  type MetricSample,
  metricSamplesAfter,
} from "../domain/jobs/job-output.ts";
import { type QuotaUsage, readQuotaUsage } from "../domain/jobs/quota-usage.ts";
import { LEADERBOARD_TOPIC } from "../domain/leaderboards/entries.ts";
import {
  type LeaderboardBoard,
  type LeaderboardView,
  leaderboardTargetOf,
  readLeaderboard,
} from "../domain/leaderboards/read.ts";
import { NODES_TOPIC, type NodeWithLoad, nodesWithLoad } from "../domain/nodes/nodes.ts";
import { QUOTA_TOPIC } from "../domain/tenants.ts";
import type { Logger } from "../log.ts";
import { type AppendFeed, createAppendFeed } from "./append-feed.ts";
import { type CredentialWatch, createCredentialWatch } from "./credential-watch.ts";
import { createJobFeed, type JobFeed } from "./job-feed.ts";
import { createSnapshotFeed, type SnapshotFeed } from "./snapshot-feed.ts";

export interface LiveFeeds {
  jobs: JobFeed;
  logs: AppendFeed<LogChunk>;
  metrics: AppendFeed<MetricSample>;
  /** Key: tenant id. */
  quota: SnapshotFeed<QuotaUsage>;
  /** One group (key ""): every node with its load. */
  executors: SnapshotFeed<NodeWithLoad[]>;
  /** Key: leaderboardKey(). */
  leaderboards: SnapshotFeed<LeaderboardBoard>;
  credentials: CredentialWatch;
  close(): void;
}

export interface LiveFeedSettings {
  /** Least time between two pushes of a recomputed value. */
  snapshotIntervalMs: number;
  /** Period of the re-check of live credentials (expiry, missed events). */
  credentialRecheckMs: number;
}

/** Log chunks (≤ 64 KiB each) queued per subscriber before its oldest are dropped. */
const LOG_QUEUE = 64;
const METRIC_QUEUE = 256;

export const leaderboardKey = (competitionId: string, phaseId: string, view: LeaderboardView) =>
  `${competitionId}/${phaseId}/${view}`;

export function createLiveFeeds(
  deps: { db: Database; events: Subscriber; log: Logger },
  settings: LiveFeedSettings,
): LiveFeeds {
  const { db, events, log } = deps;
  const { pool } = db;
  const credentials = createCredentialWatch({
    db,
    events,
    log,
    recheckMs: settings.credentialRecheckMs,
  });
  return {
    jobs: createJobFeed({ pool, events, log }),
    logs: createAppendFeed<LogChunk>({
      events,
      log,
      topic: LOGS_TOPIC,
      readAfter: (jobId, after, limit) => logChunksAfter(pool, jobId, after, limit),
      readLast: (jobId, limit) => lastLogChunks(pool, jobId, limit),
      capacity: LOG_QUEUE,
      annotate: (chunk, dropped) => ({ ...chunk, skipped: dropped }),
    }),
    metrics: createAppendFeed<MetricSample>({
      events,
      log,
      topic: METRICS_TOPIC,
      readAfter: (jobId, after, limit) => metricSamplesAfter(pool, jobId, after, limit),
      readLast: (jobId, limit) => lastMetricSamples(pool, jobId, limit),
      capacity: METRIC_QUEUE,
      annotate: (sample, dropped) => ({ ...sample, skipped: dropped }),
    }),
    quota: createSnapshotFeed<QuotaUsage>({
      events,
      log,
      name: "quota usage",
      triggers: (tenantId) => [
        ["tenant-jobs", tenantId],
        [QUOTA_TOPIC, tenantId],
      ],
      read: async (tenantId) => {
        const usage = await readQuotaUsage(pool, { id: tenantId }, null, new Date());
        if (!usage) throw new Error(`tenant ${tenantId} is gone`);
        return usage;
      },
      intervalMs: settings.snapshotIntervalMs,
    }),
    executors: createSnapshotFeed<NodeWithLoad[]>({
      events,
      log,
      name: "executor load",
      // Any job placed or finished changes some node's load.
      triggers: () => [
        ["tenant-jobs", undefined],
        [NODES_TOPIC, undefined],
      ],
      read: () => nodesWithLoad(pool),
      intervalMs: settings.snapshotIntervalMs,
      // A node that stops heartbeating sends nothing: its liveness is re-read now and then.
      periodicMs: 5000,
    }),
    leaderboards: createSnapshotFeed<LeaderboardBoard>({
      events,
      log,
      name: "leaderboard",
      triggers: (key) => [[LEADERBOARD_TOPIC, key.split("/")[0]]],
      read: async (key) => {
        const [, phaseId, view] = key.split("/") as [string, string, LeaderboardView];
        return readLeaderboard(pool, await leaderboardTargetOf(pool, phaseId), view);
      },
      intervalMs: settings.snapshotIntervalMs,
    }),
    credentials,
    close: () => credentials.close(),
  };
}
