// POST /graphql with a JSON body — the request almost every client sends — served straight
// from node:http through Yoga's envelop (`getEnveloped`): the same schema, plugins, parse and
// validation caches, context and error policy as the WebSocket path, without the Fetch API
// layer (Request, Headers, body streams, Response) that costs more CPU than a page of rows
// from Postgres (BENCHMARKS.md, API: 600 → 170 µs per request on the reference machine).
//
// Only the successful prefix is served here: a body that is valid JSON with a string query
// that parses and validates. Anything else (bad JSON, batches, parse or validation errors,
// subscriptions) is replayed through Yoga itself with the same headers and body, so clients
// see exactly Yoga's answers; test/api/graphql-post.test.ts holds the two paths side by side.
import type { IncomingMessage, ServerResponse } from "node:http";
import { type ExecutionResult, GraphQLError, getOperationAST } from "graphql";
import { createGraphQLError } from "graphql-yoga";
import type { ContextFactory, GraphQLServer } from "./graphql.ts";

export interface JsonPostDeps {
  yoga: GraphQLServer;
  contextFor: ContextFactory;
  maxBodyBytes: number;
}

type MediaType = "application/json" | "application/graphql-response+json";

interface Params {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  extensions?: Record<string, unknown> | null;
}

export interface JsonPostHandler {
  /** The response media type when this handler serves `req`, null when Yoga must. */
  accepts(req: IncomingMessage): MediaType | null;
  handle(req: IncomingMessage, res: ServerResponse, mediaType: MediaType): Promise<void>;
}

export function createJsonPostHandler(deps: JsonPostDeps): JsonPostHandler {
  const replay = (req: IncomingMessage, res: ServerResponse, body: string) =>
    replayThroughYoga(deps.yoga, req, res, body);

  return {
    accepts(req) {
      if (req.method !== "POST" || !isJsonContentType(req.headers["content-type"])) return null;
      return responseMediaType(req.headers.accept);
    },
    async handle(req, res, mediaType) {
      const body = await readBody(req, deps.maxBodyBytes);
      if (body === null) return sendText(res, 413, "request body too large\n");
      const params = plainParams(body);
      if (!params) return replay(req, res, body);
      const enveloped = deps.yoga.getEnveloped({ params } as never);
      let document: ReturnType<typeof enveloped.parse>;
      try {
        document = enveloped.parse(params.query);
      } catch {
        return replay(req, res, body);
      }
      if (enveloped.validate(enveloped.schema, document).length > 0) return replay(req, res, body);
      // Yoga refuses an operation it cannot pick (400) and streams subscriptions (SSE).
      const operation = getOperationAST(document, params.operationName);
      if (!operation || operation.operation === "subscription") return replay(req, res, body);

      let result: ExecutionResult;
      try {
        const contextValue = await deps.contextFor(
          req.headers.authorization,
          header(req.headers["x-request-id"]),
        );
        result = (await enveloped.execute({
          schema: enveloped.schema,
          document,
          contextValue,
          variableValues: params.variables,
          operationName: params.operationName,
        })) as ExecutionResult;
      } catch (error) {
        // The context factory throws request-level GraphQL errors (UNAUTHENTICATED,
        // RATE_LIMITED, masked failures) carrying their HTTP status; anything else is a bug
        // for the HTTP server's last-resort handler.
        if (!(error instanceof GraphQLError)) throw error;
        result = { errors: [error] };
      }
      sendResult(res, result, mediaType, req.headers.origin);
    },
  };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** As Yoga matches `application/json` (and `application/graphql+json`) bodies. */
function isJsonContentType(value: string | undefined): boolean {
  const type = value?.split(",")[0];
  if (!type) return false;
  return ["application/json", "application/graphql+json"].some(
    (expected) => type === expected || type.startsWith(`${expected};`),
  );
}

/**
 * The media type Yoga would answer with, for Accept headers that name only JSON types: the
 * client's first entry decides, and a wildcard gets `application/json`. Headers naming event
 * streams, multipart or other charsets are Yoga's to negotiate.
 */
function responseMediaType(accept: string | undefined): MediaType | null {
  const entries = (accept || "*/*").replace(/\s/g, "").toLowerCase().split(",");
  let chosen: MediaType | null = null;
  for (const entry of entries) {
    const [type, ...parameters] = entry.split(";");
    const charset = parameters.find((p) => p.includes("charset="));
    if (charset && charset !== "charset=utf-8") return null;
    if (type === "application/graphql-response+json") chosen ??= type;
    else if (type === "application/json" || type === "*/*" || type === "application/*")
      chosen ??= "application/json";
    else return null;
  }
  return chosen;
}

/** The body, or null past the size limit (a chunked body has no content-length to check). */
function readBody(req: IncomingMessage, maxBytes: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    req.on("end", () =>
      resolve(size > maxBytes ? null : Buffer.concat(chunks, size).toString("utf8")),
    );
    req.on("error", reject);
  });
}

const EXPECTED_PARAMS = new Set(["query", "variables", "operationName", "extensions"]);

/** Params exactly as Yoga accepts them without complaint; null sends the body to Yoga. */
function plainParams(body: string): Params | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (!isObject(parsed) || typeof parsed.query !== "string") return null;
  for (const [key, value] of Object.entries(parsed)) {
    if (value !== null && value !== undefined && !EXPECTED_PARAMS.has(key)) return null;
  }
  for (const key of ["variables", "extensions"]) {
    const value = parsed[key];
    if (value !== null && value !== undefined && !isObject(value)) return null;
  }
  const name = parsed.operationName;
  if (name !== null && name !== undefined && typeof name !== "string") return null;
  return parsed as unknown as Params;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

interface HttpExtension {
  status?: number;
  spec?: boolean;
  headers?: Record<string, string>;
}

/** Yoga's status rules for a single result (graphql-yoga `getResponseInitByRespectingErrors`). */
function statusOf(result: ExecutionResult, mediaType: MediaType): number {
  const errors = result.errors ?? [];
  if (errors.length === 0) return 200;
  const lenient = mediaType === "application/json";
  let status: number | undefined;
  let unexpected = false;
  for (const error of errors) {
    const http = error.extensions?.http as HttpExtension | undefined;
    if (http) {
      if (lenient && http.spec) continue;
      if (http.status && (!status || http.status > status)) status = http.status;
    } else if (!isOriginalGraphQLError(error) || error.extensions?.unexpected) {
      unexpected = true;
    }
  }
  return status ?? (unexpected && !("data" in result) ? 500 : 200);
}

function isOriginalGraphQLError(error: unknown): boolean {
  if (!(error instanceof GraphQLError)) return false;
  return error.originalError ? isOriginalGraphQLError(error.originalError) : true;
}

/**
 * An error as the client sees it, rebuilt as Yoga rebuilds it (graphql-yoga
 * `omitInternalsFromError`): its transport-only extensions dropped, and its locations kept
 * only where it names AST nodes or positions, so both paths print the same JSON.
 */
function publicError(error: GraphQLError): GraphQLError {
  const { http: _http, unexpected: _unexpected, ...extensions } = error.extensions ?? {};
  return createGraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: Object.keys(extensions).length > 0 ? extensions : undefined,
  });
}

function sendResult(
  res: ServerResponse,
  result: ExecutionResult,
  mediaType: MediaType,
  origin: string | undefined,
): void {
  const status = statusOf(result, mediaType);
  const headers: Record<string, string> = { "content-type": `${mediaType}; charset=utf-8` };
  for (const error of result.errors ?? []) {
    Object.assign(headers, (error.extensions?.http as HttpExtension | undefined)?.headers);
  }
  // Yoga's default CORS policy for simple requests: any origin, no cookies involved (keys
  // travel in the Authorization header). Preflights (OPTIONS) are Yoga's.
  if (origin) {
    headers["access-control-allow-origin"] = origin;
    headers.vary = "Origin";
    headers["access-control-allow-credentials"] = "true";
  }
  const stringify = (result as { stringify?: (value: unknown) => string }).stringify;
  const shown = result.errors?.length
    ? { ...result, errors: result.errors.map(publicError) }
    : result;
  const body = (stringify ?? JSON.stringify)(shown);
  headers["content-length"] = String(Buffer.byteLength(body));
  res.writeHead(status, headers);
  res.end(body);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  res.end(text);
}

/** Hands a request whose body was already read to Yoga, and relays its response. */
async function replayThroughYoga(
  yoga: GraphQLServer,
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
): Promise<void> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === "content-length") continue;
    headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  const response = await yoga.fetch(`http://${req.headers.host ?? "localhost"}${req.url}`, {
    method: "POST",
    headers,
    body,
  });
  const payload = Buffer.from(await response.arrayBuffer());
  const outgoing: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    outgoing[name] = value;
  });
  outgoing["content-length"] = String(payload.length);
  res.writeHead(response.status, outgoing);
  res.end(payload);
}
