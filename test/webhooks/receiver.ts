// A webhook receiver for tests: a real HTTP server on a free local port that records every
// request (headers and raw body, as the signature is computed over the raw bytes) and
// answers each path with the status a test chose (200 unless told otherwise).
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Requests to `path` whose JSON body matches `filter`. */
  to(path: string, filter?: (body: Record<string, unknown>) => boolean): ReceivedRequest[];
  answer(path: string, status: number): void;
  /** Resolves once `count` requests to `path` (matching `filter`) have arrived. */
  waitFor(
    path: string,
    count: number,
    filter?: (body: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const statuses = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const path = req.url ?? "/";
      requests.push({
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      });
      res.writeHead(statuses.get(path) ?? 200, { "content-type": "text/plain" }).end("ok\n");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  const to = (path: string, filter: (body: Record<string, unknown>) => boolean = () => true) =>
    requests.filter((r) => r.path === path && filter(JSON.parse(r.body)));
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    to,
    answer: (path, status) => statuses.set(path, status),
    async waitFor(path, count, filter, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const matching = to(path, filter);
        if (matching.length >= count) return matching;
        if (Date.now() > deadline) {
          throw new Error(`${matching.length} of ${count} requests to ${path} arrived`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
