// The one typed Config. Every key has a default so an empty file (or none) runs the whole
// platform on one machine; units are in the key names.
import { z } from "zod";

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();
/** Seconds may be fractional: tests and small deployments run with sub-second heartbeats. */
const seconds = z.number().positive();
const executorKind = z.enum(["LOCAL", "DOCKER", "KUBERNETES"]);
/** A browser origin, `scheme://host[:port]` exactly as browsers send it, or "*". */
const origin = z.string().refine(
  (value) => {
    if (value === "*") return true;
    try {
      return new URL(value).origin === value;
    } catch {
      return false;
    }
  },
  { message: 'expected an origin such as "https://scores.example.org" (no path), or "*"' },
);
/**
 * One class of token bucket: `perMinute` refill (0: unlimited) and `burst` capacity
 * (default: a minute's worth).
 */
const bucket = (perMinute: number) =>
  z
    .object({
      perMinute: z.number().int().min(0).default(perMinute),
      burst: positiveInt.optional(),
    })
    .strict()
    .prefault({});

export const configSchema = z
  .object({
    /** development enables GraphiQL and verbose errors in logs (never to clients). */
    env: z.enum(["development", "production", "test"]).default("development"),
    server: z
      .object({
        host: z.string().min(1).default("0.0.0.0"),
        port: port.default(4000),
        /**
         * Largest accepted GraphQL request body, counted as it streams in, so a chunked body
         * without a Content-Length is cut off at the same size (HTTP 413).
         */
        maxBodyBytes: positiveInt.default(1_048_576),
        /** Most operations in one batched HTTP request (a JSON array); 0 refuses batches. */
        maxBatchOperations: z.number().int().min(0).default(5),
        /** Limits on one GraphQL document, checked before it runs (docs/operations.md). */
        graphqlLimits: z
          .object({
            /** Off only to measure what the limits cost; never in production. */
            enabled: z.boolean().default(true),
            /** Deepest selection; fragments and union branches add no level. */
            maxDepth: positiveInt.default(12),
            /** Aliased fields in one operation. */
            maxAliases: positiveInt.default(15),
            /** Lexical tokens of the whole document (names, punctuation, values). */
            maxTokens: positiveInt.default(1000),
            /** Directives in one operation. */
            maxDirectives: positiveInt.default(20),
            /**
             * Static cost: 1 per scalar, 2 per object, times 1.5 per level, times a literal
             * `first`/`last`.
             */
            maxCost: positiveInt.default(20_000),
          })
          .strict()
          .prefault({}),
        /** Token buckets, in memory per API process (docs/operations.md). */
        rateLimit: z
          .object({
            enabled: z.boolean().default(true),
            /** Each tenant API key (members, owners, viewers). */
            apiKey: bucket(600),
            /** All keys of one tenant together, besides each key's own bucket. */
            tenant: bucket(1200),
            /** Each platform admin key, instead of the two above. */
            admin: bucket(6000),
            /** Callers without an API key, and failed authentications, per client address. */
            anonymous: bucket(60),
            /** Callers remembered at once; past it the least recently seen is forgotten. */
            maxTrackedCallers: positiveInt.default(100_000),
            /**
             * Reverse proxies in front of the API whose X-Forwarded-For entries are trusted to
             * name the client; 0 uses the connection's own address.
             */
            trustedProxyHops: z.number().int().min(0).default(0),
          })
          .strict()
          .prefault({}),
        webSocket: z
          .object({
            /** Largest accepted WebSocket message; a larger one closes the socket (1009). */
            maxPayloadBytes: positiveInt.default(1_048_576),
            /** Operations running at once on one socket; more are refused one by one. */
            maxOperations: positiveInt.default(100),
            /**
             * Browser origins (e.g. "https://scores.example.org") allowed to open a socket
             * besides the API's own origin; "*" allows any. Clients that send no Origin
             * (scripts, the CLI) are not browsers and are always allowed.
             */
            allowedOrigins: z.array(origin).default([]),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    database: z
      .object({
        /** External Postgres (≥ 14). Unset: embedded Postgres under dataDir. */
        url: z.string().url().optional(),
        poolSize: positiveInt.default(10),
        embeddedPort: port.default(54329),
        /**
         * Run every session as the application role (autoscorer_app: owns nothing, no
         * superuser, append-only audit log, row-level security). The login role of `url` must
         * be a member of it; migrations run as the login role itself.
         */
        useAppRole: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** Local state: the embedded cluster, job workspaces, the bootstrap key file. */
    dataDir: z.string().min(1).default(".autoscorer"),
    /** Tenants' job inputs, one folder per tenant slug. Default: <dataDir>/inputs. */
    inputDir: z.string().min(1).optional(),
    /** Job workspaces (one folder per job attempt). Default: <dataDir>/workspaces. */
    workspaceDir: z.string().min(1).optional(),
    /** Bootstrap admin API key; generated and printed once on first start when unset. */
    adminKey: z.string().min(24).optional(),
    scheduler: z
      .object({
        /** Fallback admission tick; NOTIFY wakes the scheduler earlier. */
        tickMs: positiveInt.default(1000),
        leaseSeconds: seconds.default(30),
        heartbeatSeconds: seconds.default(5),
        maxAttempts: positiveInt.default(3),
        backoffBaseMs: positiveInt.default(2000),
        backoffMaxMs: positiveInt.default(300_000),
        /** Jobs asking for more CPU (millicores) or memory (MiB) than this go to Kubernetes. */
        kubernetesCpuMillisAbove: positiveInt.default(8000),
        kubernetesMemoryMbAbove: positiveInt.default(32_768),
        defaultBackend: executorKind.default("LOCAL"),
        /** Failures in a row that open a node's circuit breaker, and how long it stays open. */
        breakerFailures: positiveInt.default(5),
        breakerOpenSeconds: positiveInt.default(60),
        /** Most jobs admitted in one pass; a full pass is followed at once by the next. */
        passLimit: positiveInt.default(500),
        /**
         * Shortest time between the starts of two passes. Under load the jobs of several
         * submissions then wait a moment and go through one pass (one snapshot, one statement
         * per move) instead of a pass each; a scheduler that was idle longer starts at once.
         */
        passIntervalMs: z.number().int().min(0).default(10),
      })
      .strict()
      .prefault({}),
    worker: z
      .object({
        /**
         * The node name prefix: one node per executor below, named `<name>-<kind>` in lower
         * case (default: the host name).
         */
        name: z.string().min(1).optional(),
        /** The backends this worker process runs, one executor node each. */
        executors: z.array(executorKind).min(1).default(["LOCAL"]),
        cpuMillis: positiveInt.default(2000),
        memoryMb: positiveInt.default(4096),
        gpus: z.number().int().min(0).default(0),
        maxJobs: positiveInt.default(4),
        /** Dispatch messages a worker takes from its queue at once. */
        batchSize: positiveInt.default(50),
        /** On shutdown, how long running jobs may finish before they are handed back. */
        shutdownGraceSeconds: z.number().int().min(0).default(10),
        /** Job workspaces (outputs and logs) are removed this long after their last change. */
        workspaceRetentionHours: positiveInt.default(168),
        /**
         * Time a run may take to get ready (image pull, container or pod start) before its
         * own time limit starts counting; the worker stops a run that overruns both.
         */
        prepareAllowanceSeconds: seconds.default(600),
      })
      .strict()
      .prefault({}),
    /** The Docker executor (worker.executors includes DOCKER); docs/executors.md. */
    docker: z
      .object({
        /** The engine's socket (the worker's only way to it; see docs/operations.md). */
        socketPath: z.string().min(1).default("/var/run/docker.sock"),
        /** Or a remote engine over TCP (with TLS files), instead of the socket. */
        host: z.string().min(1).optional(),
        port: port.optional(),
        protocol: z.enum(["http", "https"]).optional(),
        caFile: z.string().min(1).optional(),
        certFile: z.string().min(1).optional(),
        keyFile: z.string().min(1).optional(),
        pullPolicy: z.enum(["always", "if-not-present", "never"]).default("if-not-present"),
        /** Who the command runs as in the container; never root. */
        runAsUser: positiveInt.default(1000),
        runAsGroup: positiveInt.default(1000),
        tmpSizeMb: positiveInt.default(64),
        pidsLimit: positiveInt.default(1024),
        /** Caps on what the engine reports; maxJobs defaults to its CPU count. */
        cpuMillis: positiveInt.optional(),
        memoryMb: positiveInt.optional(),
        maxJobs: positiveInt.optional(),
        gpus: z.number().int().min(0).default(0),
        gpuRuntime: z.string().min(1).default("nvidia"),
        killGraceMs: positiveInt.default(2000),
        reconnectGraceMs: positiveInt.default(10_000),
      })
      .strict()
      .prefault({}),
    /** The Kubernetes executor (worker.executors includes KUBERNETES); docs/executors.md. */
    kubernetes: z
      .object({
        /** The namespace Jobs run in; the worker's service account needs RBAC there only. */
        namespace: z.string().min(1).default("autoscorer"),
        /** Use the pod's service account (a worker running in the cluster). */
        inCluster: z.boolean().default(false),
        /** Otherwise a kubeconfig file (and optionally its context). */
        kubeconfig: z.string().min(1).optional(),
        context: z.string().min(1).optional(),
        /**
         * Host folders through which the worker sees the workspace and input volumes, each
         * with the PVC that holds the same files in the cluster.
         */
        volumes: z
          .array(
            z
              .object({
                hostPath: z.string().min(1),
                claimName: z.string().min(1),
                pathInClaim: z.string().optional(),
              })
              .strict(),
          )
          .default([]),
        /** What this node may place on the cluster (the API cannot tell). */
        cpuMillis: positiveInt.default(16_000),
        memoryMb: positiveInt.default(65_536),
        gpus: z.number().int().min(0).default(0),
        maxJobs: positiveInt.default(16),
        imagePullPolicy: z.enum(["IfNotPresent", "Always", "Never"]).default("IfNotPresent"),
        ttlSecondsAfterFinished: positiveInt.default(3600),
        unschedulableTimeoutSeconds: positiveInt.default(300),
        startupAllowanceSeconds: positiveInt.default(600),
        /** Read stdout and stderr apart (needs the PodLogsQuerySplitStreams feature gate). */
        splitLogStreams: z.boolean().default(false),
        runtimeClassName: z.string().min(1).optional(),
        serviceAccountName: z.string().min(1).optional(),
        nodeSelector: z.record(z.string(), z.string()).optional(),
      })
      .strict()
      .prefault({}),
    /** What runs stream while they run, and how the API hands it to subscribers. */
    realtime: z
      .object({
        /** Least time between two live log chunks of one job's stream. */
        logFlushMs: positiveInt.default(250),
        /** A live log chunk is sent early once it holds this much. */
        logChunkKb: positiveInt.default(64),
        /** Live log output stored per attempt; logs/container.log keeps everything. */
        logMbPerAttempt: positiveInt.default(4),
        /** Least time between two stored CPU/memory samples of one job. */
        sampleMs: positiveInt.default(1000),
        /** Samples stored per attempt at sampleMs; then one per ten periods. */
        samplesPerAttempt: positiveInt.default(3600),
        /** Least time between two pushes of a recomputed value (quota usage, load, leaderboard). */
        snapshotIntervalMs: positiveInt.default(500),
      })
      .strict()
      .prefault({}),
    /** Prometheus metrics; docs/operations.md, "Metrics". */
    metrics: z
      .object({
        /**
         * A listener of its own serving /metrics, for processes without the API (worker,
         * scheduler) or to keep /metrics off the API port. Unset: no such listener.
         */
        port: port.optional(),
        host: z.string().min(1).default("0.0.0.0"),
        /** Serve /metrics on the API port as well (unauthenticated, like /healthz). */
        onApiPort: z.boolean().default(true),
        /** Tenants the queue gauges export, the longest waits first (a bounded label set). */
        queueTenants: positiveInt.default(20),
        /** Distinct GraphQL operation names kept as labels; later ones count as "other". */
        operationNames: positiveInt.default(200),
      })
      .strict()
      .prefault({}),
    /** Tenants' webhooks for finished jobs; docs/operations.md, "Webhooks". */
    webhooks: z
      .object({
        /** Deliver webhooks from this process (worker processes; several may, safely). */
        deliver: z.boolean().default(true),
        /** Fallback tick of the dispatcher; a finished job's event wakes it earlier. */
        pollMs: positiveInt.default(1000),
        /** Job events read, and deliveries claimed, per round. */
        batchSize: positiveInt.default(100),
        /** Deliveries in flight at once per process. */
        concurrency: positiveInt.default(8),
        /** One attempt's limit, connection to last byte of the answer. */
        timeoutMs: positiveInt.default(10_000),
        /** Attempts per delivery before it is marked FAILED. */
        maxAttempts: positiveInt.default(10),
        /** Backoff between attempts: base · 2^(attempt-1), at most max, with jitter. */
        backoffBaseMs: positiveInt.default(10_000),
        backoffMaxMs: positiveInt.default(3_600_000),
        /**
         * Deliver to loopback, private and link-local addresses. Off: a tenant's webhook can
         * never reach the platform's own network (the database, cloud metadata).
         */
        allowPrivateNetworks: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    scorers: z
      .object({
        /** Folder of scorer plugin modules (docs/scorers.md); unset, only built-ins. */
        pluginDir: z.string().min(1).optional(),
        /** Wall-clock and heap limits of one plugin run (its own worker thread). */
        timeLimitMs: positiveInt.default(60_000),
        memoryLimitMb: positiveInt.default(512),
        /** Reload plugins when a file in pluginDir changes. */
        reload: z.boolean().default(true),
        /** Reuse a stored Result for identical inputs, scorer and params (per competition too). */
        resultCache: z.boolean().default(true),
        /** Largest accepted ground-truth/prediction files. */
        maxCsvMb: positiveInt.default(2048),
        maxJsonMb: positiveInt.default(512),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
