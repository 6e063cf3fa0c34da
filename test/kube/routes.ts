// The fake API server's REST surface: the paths and verbs of batch/v1 Jobs, core/v1 Pods
// (with /log) and metrics.k8s.io PodMetrics that the executor uses, each answering with
// the shapes, codes and Status objects of the real API server.
import type { IncomingMessage, ServerResponse } from "node:http";
import { type LogQuery, parseTimestamp, type StreamName } from "./container-log.ts";
import type { JobController } from "./job-controller.ts";
import type { Kubelet } from "./kubelet.ts";
import { type Matcher, parseFieldSelector, parseLabelSelector } from "./selectors.ts";
import {
  ApiError,
  badRequest,
  failure,
  invalid,
  methodNotAllowed,
  notFound,
  unknownPath,
} from "./status.ts";
import { RESOURCE_KIND, type Resource, type Store, type StoredObject } from "./store.ts";
import { jobCauses } from "./validate.ts";
import { type ActiveWatch, serveWatch, type WatchOptions } from "./watch.ts";

export interface ApiContext {
  store: Store;
  jobs: JobController;
  kubelet: Kubelet;
  namespaces: ReadonlySet<string>;
  /** PodLogsQuerySplitStreams: without it the API server ignores `stream`, as a real one does. */
  splitLogStreams: boolean;
  watch: WatchOptions;
  watches: Set<ActiveWatch>;
  /** Every Job manifest the server accepted, as received. */
  acceptedJobs: { namespace: string; manifest: unknown }[];
  deletions: {
    resource: Resource;
    namespace: string;
    name: string;
    propagationPolicy: string | null;
    gracePeriodSeconds: number | null;
    uid: string | null;
  }[];
}

type Handler = (
  context: ApiContext,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  params: string[],
) => Promise<void> | void;

export function sendJson(response: ServerResponse, code: number, body: unknown): void {
  response.writeHead(code, { "Content-Type": "application/json" });
  response.end(JSON.stringify(body));
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 3 * 1024 * 1024)
      throw new ApiError(failure(413, "RequestEntityTooLarge", "request entity too large"));
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (error: unknown) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(error as Error).message}`);
  }
}

const flag = (url: URL, name: string) => {
  const value = url.searchParams.get(name);
  return value === "true" || value === "1";
};

const integer = (url: URL, name: string): number | null => {
  const value = url.searchParams.get(name);
  if (value === null || value === "") return null;
  if (!/^-?\d+$/.test(value))
    throw badRequest(`${name}: Invalid value: "${value}": must be an integer`);
  return Number(value);
};

function listOrWatch(resource: Resource, namespace: string | undefined): Handler {
  return (context, _request, response, url) => {
    const labels = parseLabelSelector(url.searchParams.get("labelSelector"));
    const fields = parseFieldSelector(resource, url.searchParams.get("fieldSelector"));
    const match: Matcher = (object) => labels(object) && fields(object);
    if (flag(url, "watch")) {
      const active = serveWatch(
        context.store,
        {
          resource,
          ...(namespace === undefined ? {} : { namespace }),
          match,
          resourceVersion: url.searchParams.get("resourceVersion"),
          allowBookmarks: flag(url, "allowWatchBookmarks"),
          timeoutSeconds: integer(url, "timeoutSeconds"),
        },
        response,
        context.watch,
      );
      context.watches.add(active);
      response.on("close", () => context.watches.delete(active));
      return;
    }
    const all = context.store
      .list(resource, namespace)
      .filter(match)
      .sort((a, b) =>
        `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(
          `${b.metadata.namespace}/${b.metadata.name}`,
        ),
      );
    const limit = integer(url, "limit");
    const token = url.searchParams.get("continue");
    let offset = 0;
    if (token) {
      const decoded = Number(Buffer.from(token, "base64url").toString("utf8"));
      if (!Number.isInteger(decoded) || decoded < 0) throw badRequest("continue key is not valid");
      offset = decoded;
    }
    const items = limit && limit > 0 ? all.slice(offset, offset + limit) : all.slice(offset);
    const rest = all.length - offset - items.length;
    const { kind, apiVersion } = RESOURCE_KIND[resource];
    sendJson(response, 200, {
      kind: `${kind}List`,
      apiVersion,
      metadata: {
        resourceVersion: String(context.store.resourceVersion),
        ...(rest > 0
          ? {
              continue: Buffer.from(String(offset + items.length)).toString("base64url"),
              remainingItemCount: rest,
            }
          : {}),
      },
      items: items.map(({ kind: _k, apiVersion: _a, ...item }) => item),
    });
  };
}

async function deleteOptions(request: IncomingMessage, url: URL) {
  const body = ((await readJson(request)) ?? {}) as {
    propagationPolicy?: string;
    gracePeriodSeconds?: number;
    orphanDependents?: boolean;
    preconditions?: { uid?: string; resourceVersion?: string };
  };
  const propagationPolicy =
    url.searchParams.get("propagationPolicy") ??
    body.propagationPolicy ??
    (body.orphanDependents === false ? "Background" : body.orphanDependents ? "Orphan" : undefined);
  const gracePeriodSeconds = integer(url, "gracePeriodSeconds") ?? body.gracePeriodSeconds;
  return {
    ...(propagationPolicy === undefined ? {} : { propagationPolicy }),
    ...(gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds }),
    ...(body.preconditions?.uid ? { uid: body.preconditions.uid } : {}),
    ...(body.preconditions?.resourceVersion
      ? { resourceVersion: body.preconditions.resourceVersion }
      : {}),
  };
}

const createJob: Handler = async (context, request, response, _url, [namespace = ""]) => {
  const body = await readJson(request);
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw badRequest(
      "the body of the request was in an unknown format - accepted media types include: application/json",
    );
  const name = (body as { metadata?: { name?: string } }).metadata?.name ?? "";
  const causes = jobCauses(body, namespace);
  if (causes.length > 0) throw invalid("Job", "batch", name, causes);
  if (!context.namespaces.has(namespace)) throw notFound("namespaces", "", namespace);
  const created = context.jobs.create(namespace, body as StoredObject);
  context.acceptedJobs.push({ namespace, manifest: structuredClone(body) });
  sendJson(response, 201, created);
};

const getObject =
  (resource: Resource): Handler =>
  (context, _request, response, _url, [namespace = "", name = ""]) =>
    sendJson(response, 200, context.store.read(resource, namespace, name));

const deleteJob: Handler = async (context, request, response, url, [namespace = "", name = ""]) => {
  const options = await deleteOptions(request, url);
  context.deletions.push({
    resource: "jobs",
    namespace,
    name,
    propagationPolicy: options.propagationPolicy ?? null,
    gracePeriodSeconds: options.gracePeriodSeconds ?? null,
    uid: options.uid ?? null,
  });
  const { code, body } = context.jobs.delete(namespace, name, options);
  sendJson(response, code, body);
};

const deletePod: Handler = async (context, request, response, url, [namespace = "", name = ""]) => {
  const options = await deleteOptions(request, url);
  context.deletions.push({
    resource: "pods",
    namespace,
    name,
    propagationPolicy: options.propagationPolicy ?? null,
    gracePeriodSeconds: options.gracePeriodSeconds ?? null,
    uid: options.uid ?? null,
  });
  sendJson(response, 200, context.kubelet.deletePod(namespace, name, options));
};

const STREAMS: Record<string, StreamName[]> = {
  Stdout: ["stdout"],
  Stderr: ["stderr"],
  All: ["stdout", "stderr"],
};

const podLog: Handler = (context, _request, response, url, [namespace = "", name = ""]) => {
  const causes: { reason: string; message: string; field: string }[] = [];
  const tailLines = integer(url, "tailLines");
  const limitBytes = integer(url, "limitBytes");
  const sinceSeconds = integer(url, "sinceSeconds");
  const sinceTimeText = url.searchParams.get("sinceTime");
  // Without the feature gate the API server drops `stream` before validating it.
  const stream = context.splitLogStreams ? url.searchParams.get("stream") : null;
  if (tailLines !== null && tailLines < 0)
    causes.push({
      reason: "FieldValueInvalid",
      field: "tailLines",
      message: `Invalid value: ${tailLines}: must be greater than or equal to 0`,
    });
  if (limitBytes !== null && limitBytes < 1)
    causes.push({
      reason: "FieldValueInvalid",
      field: "limitBytes",
      message: `Invalid value: ${limitBytes}: must be greater than 0`,
    });
  if (sinceSeconds !== null && sinceTimeText !== null)
    causes.push({
      reason: "FieldValueForbidden",
      field: "",
      message: "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified",
    });
  if (sinceSeconds !== null && sinceSeconds < 1)
    causes.push({
      reason: "FieldValueInvalid",
      field: "sinceSeconds",
      message: `Invalid value: ${sinceSeconds}: must be greater than 0`,
    });
  if (stream !== null && !STREAMS[stream])
    causes.push({
      reason: "FieldValueNotSupported",
      field: "stream",
      message: `Unsupported value: "${stream}": supported values: "All", "Stdout", "Stderr"`,
    });
  if (stream !== null && stream !== "All" && tailLines !== null)
    causes.push({
      reason: "FieldValueForbidden",
      field: "",
      message: "Forbidden: `tailLines` and specific `stream` are mutually exclusive for now",
    });
  const sinceTime = sinceTimeText === null ? null : parseTimestamp(sinceTimeText);
  if (sinceTimeText !== null && sinceTime === null)
    throw badRequest(`sinceTime: Invalid value: "${sinceTimeText}"`);
  if (causes.length > 0) throw invalid("PodLogOptions", "", name, causes);
  const container = url.searchParams.get("container");
  if (flag(url, "previous")) {
    context.store.read("pods", namespace, name);
    throw badRequest(
      `previous terminated container "${container ?? ""}" in pod "${name}" not found`,
    );
  }
  const log = context.kubelet.log(namespace, name, container);
  const query: LogQuery = {
    streams: new Set(STREAMS[stream ?? "All"]),
    follow: flag(url, "follow"),
    timestamps: flag(url, "timestamps"),
    sinceNs:
      sinceSeconds !== null ? BigInt(Date.now() - sinceSeconds * 1000) * 1_000_000n : sinceTime,
    tailLines,
    limitBytes,
  };
  log.serve(query, response);
};

const podMetrics = async (context: ApiContext, namespace: string, name: string) => {
  const usage = await context.kubelet.usage(namespace, name);
  if (!usage) return null;
  const pod = context.store.get("pods", namespace, name);
  return {
    kind: "PodMetrics",
    apiVersion: "metrics.k8s.io/v1beta1",
    metadata: {
      name,
      namespace,
      creationTimestamp: new Date().toISOString(),
      labels: pod?.metadata.labels ?? {},
    },
    timestamp: new Date().toISOString(),
    window: "1s",
    containers: [
      {
        name: usage.container,
        usage: { cpu: `${usage.cpuNanos}n`, memory: `${Math.round(usage.memoryBytes / 1024)}Ki` },
      },
    ],
  };
};

const getPodMetrics: Handler = async (
  context,
  _request,
  response,
  _url,
  [namespace = "", name = ""],
) => {
  const metrics = await podMetrics(context, namespace, name);
  if (!metrics) throw notFound("pods", "metrics.k8s.io", name);
  sendJson(response, 200, metrics);
};

const listPodMetrics: Handler = async (context, _request, response, _url, [namespace = ""]) => {
  const items = [];
  for (const pod of context.store.list("pods", namespace)) {
    const metrics = await podMetrics(context, namespace, pod.metadata.name);
    if (metrics) items.push(metrics);
  }
  sendJson(response, 200, {
    kind: "PodMetricsList",
    apiVersion: "metrics.k8s.io/v1beta1",
    metadata: {},
    items,
  });
};

const getNamespace: Handler = (context, _request, response, _url, [namespace = ""]) => {
  if (!context.namespaces.has(namespace)) throw notFound("namespaces", "", namespace);
  sendJson(response, 200, {
    kind: "Namespace",
    apiVersion: "v1",
    metadata: { name: namespace },
    status: { phase: "Active" },
  });
};

const version: Handler = (_context, _request, response) =>
  sendJson(response, 200, {
    major: "1",
    minor: "34",
    gitVersion: "v1.34.0-fake",
    platform: "linux/amd64",
  });

const NS = "([a-z0-9][-a-z0-9]*)";
const NAME = "([^/]+)";
const ROUTES: { path: RegExp; methods: Record<string, Handler> }[] = [
  { path: /^\/version\/?$/, methods: { GET: version } },
  { path: new RegExp(`^/api/v1/namespaces/${NS}$`), methods: { GET: getNamespace } },
  {
    path: new RegExp(`^/apis/batch/v1/namespaces/${NS}/jobs$`),
    methods: {
      GET: (c, q, r, u, [ns]) => listOrWatch("jobs", ns)(c, q, r, u, []),
      POST: createJob,
    },
  },
  {
    path: new RegExp(`^/apis/batch/v1/namespaces/${NS}/jobs/${NAME}(?:/status)?$`),
    methods: { GET: getObject("jobs"), DELETE: deleteJob },
  },
  { path: /^\/apis\/batch\/v1\/jobs$/, methods: { GET: listOrWatch("jobs", undefined) } },
  {
    path: new RegExp(`^/api/v1/namespaces/${NS}/pods$`),
    methods: { GET: (c, q, r, u, [ns]) => listOrWatch("pods", ns)(c, q, r, u, []) },
  },
  { path: new RegExp(`^/api/v1/namespaces/${NS}/pods/${NAME}/log$`), methods: { GET: podLog } },
  {
    path: new RegExp(`^/api/v1/namespaces/${NS}/pods/${NAME}(?:/status)?$`),
    methods: { GET: getObject("pods"), DELETE: deletePod },
  },
  { path: /^\/api\/v1\/pods$/, methods: { GET: listOrWatch("pods", undefined) } },
  {
    path: new RegExp(`^/apis/metrics\\.k8s\\.io/v1beta1/namespaces/${NS}/pods$`),
    methods: { GET: listPodMetrics },
  },
  {
    path: new RegExp(`^/apis/metrics\\.k8s\\.io/v1beta1/namespaces/${NS}/pods/${NAME}$`),
    methods: { GET: getPodMetrics },
  },
];

export async function route(
  context: ApiContext,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? "/", "http://fake");
  for (const { path, methods } of ROUTES) {
    const match = path.exec(url.pathname);
    if (!match) continue;
    const handler = methods[request.method ?? "GET"];
    if (!handler) throw methodNotAllowed(request.method ?? "");
    await handler(
      context,
      request,
      response,
      url,
      match.slice(1).map((p) => decodeURIComponent(p ?? "")),
    );
    return;
  }
  throw unknownPath();
}
