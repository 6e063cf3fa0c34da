// The HTTP server: GraphQL (HTTP and WebSocket), probes, metrics and the web client.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import path from "node:path";
import type { Database } from "../db/database.ts";
import type { Logger } from "../log.ts";
import type { MetricsEndpoint } from "../metrics/endpoint.ts";
import type { CredentialWatch } from "../realtime/credential-watch.ts";
import type { ContextFactory, GraphQLServer } from "./graphql.ts";
import { attachWebSocket } from "./websocket.ts";
import type { WebSocketGuards } from "./websocket-guards.ts";

export interface HttpDeps {
  db: Database;
  yoga: GraphQLServer;
  contextFor: ContextFactory;
  /** Built web client (index.html and assets), served at `/` when present. */
  webRoot?: string;
  /** Watches the credentials of open WebSockets (revocation closes them). */
  credentials: CredentialWatch;
  webSocket: WebSocketGuards;
  log: Logger;
  /** Served at /metrics when given (config `metrics.onApiPort`). */
  metrics?: MetricsEndpoint;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
};

// The web client loads only its own scripts, styles and API (WebSocket included: 'self'
// covers ws: on the same host); nothing inline, no frames, no plugins.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join("; ");

/** Vite names every built asset by its content hash: a name never changes meaning. */
const cacheControlFor = (relative: string): string =>
  relative.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache";

async function serveStatic(root: string, url: URL, res: ServerResponse): Promise<boolean> {
  const relative = url.pathname === "/" ? "index.html" : decodeURIComponent(url.pathname.slice(1));
  const file = path.resolve(root, relative);
  // Never serve outside the web root (e.g. /../../etc/passwd).
  if (!file.startsWith(path.resolve(root) + path.sep) || !existsSync(file)) return false;
  const body = await readFile(file).catch(() => undefined);
  if (!body) return false;
  const html = path.extname(file) === ".html";
  res.writeHead(200, {
    "content-type": CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream",
    "x-content-type-options": "nosniff",
    "cache-control": cacheControlFor(relative),
    ...(html
      ? { "content-security-policy": CONTENT_SECURITY_POLICY, "referrer-policy": "no-referrer" }
      : {}),
  });
  res.end(body);
  return true;
}

function send(res: ServerResponse, status: number, body: string, type = "text/plain"): void {
  res.writeHead(status, { "content-type": `${type}; charset=utf-8` });
  res.end(body);
}

export function createHttpServer(deps: HttpDeps): { server: Server; close(): Promise<void> } {
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const target = req.url ?? "/";
    const query = target.indexOf("?");
    const pathname = query < 0 ? target : target.slice(0, query);
    // Every GraphQL request goes through Yoga, so its hooks and plugins see them all (the
    // body size limit too: Yoga counts the body as it streams in).
    if (pathname === "/graphql") return deps.yoga.handle(req, res);
    const url = new URL(target, "http://localhost");
    if (url.pathname === "/healthz") return send(res, 200, "ok\n");
    if (url.pathname === "/readyz") {
      try {
        await deps.db.pool.query("SELECT 1");
        return send(res, 200, "ready\n");
      } catch {
        return send(res, 503, "database unavailable\n");
      }
    }
    if (url.pathname === "/metrics" && deps.metrics) {
      const body = await deps.metrics.render();
      res.writeHead(200, { "content-type": deps.metrics.contentType });
      res.end(body);
      return;
    }
    if (req.method === "GET" && deps.webRoot) {
      if (await serveStatic(deps.webRoot, url, res)) return;
      // Client-side routes fall back to the app shell.
      if (!path.extname(url.pathname) && (await serveStatic(deps.webRoot, new URL("/", url), res)))
        return;
    }
    send(res, 404, "not found\n");
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, "internal error\n");
      else res.end();
      deps.log.error({ err: error, url: req.url }, "http handler failed");
    });
  });
  const ws = attachWebSocket(server, {
    yoga: deps.yoga,
    contextFor: deps.contextFor,
    credentials: deps.credentials,
    guards: deps.webSocket,
    log: deps.log,
  });
  return {
    server,
    close: async () => {
      await ws.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
