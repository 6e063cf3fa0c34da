// Clients that misbehave on purpose, with the time the server took to answer: raw HTTP
// requests with huge bodies (with or without a Content-Length) that stop sending once the
// server has answered, and graphql-ws clients over a real socket.
import { request } from "node:http";
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";

export interface TimedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** From the first byte sent to the whole answer read. */
  ms: number;
}

export interface RawRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  /** The body, sent in 64 KiB chunks until the server answers. */
  body?: Buffer;
  /** Announce the body's length (else it goes chunked, with no Content-Length). */
  contentLength?: boolean;
}

const CHUNK = 64 * 1024;

export function rawRequest(baseUrl: string, options: RawRequest): Promise<TimedResponse> {
  const body = options.body ?? Buffer.alloc(0);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(`${baseUrl}${options.path ?? "/graphql"}`, {
      // A connection of its own: Node's global agent keeps sockets alive, and one reused just
      // as the server's keep-alive timeout closes it is reset before any answer, which says
      // nothing of the request under test.
      agent: false,
      method: options.method ?? "POST",
      headers: {
        ...(options.method === "GET" ? {} : { "content-type": "application/json" }),
        ...(options.contentLength === false ? {} : { "content-length": String(body.length) }),
        ...options.headers,
      },
    });
    req.on("response", (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on("data", (part: Buffer) => parts.push(part));
      res.on("end", () => {
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(parts).toString("utf8"),
          ms: performance.now() - started,
        });
        // The rest of a refused body is never sent.
        req.destroy();
      });
    });
    req.on("error", (error) => {
      // Once answered, a reset of the unsent remainder is expected.
      if (!answered) reject(error);
    });
    let offset = 0;
    const pump = () => {
      while (!answered && offset < body.length) {
        const more = req.write(body.subarray(offset, offset + CHUNK));
        offset += CHUNK;
        if (!more) {
          req.once("drain", pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
}

/** A JSON GraphQL body padded with an ignored string to `bytes` in all. */
export function paddedBody(bytes: number): Buffer {
  const head = '{"query":"{ me { role } }","extensions":{"pad":"';
  const tail = '"}}';
  return Buffer.from(head + "x".repeat(Math.max(0, bytes - head.length - tail.length)) + tail);
}

/** A graphql-ws client over the `ws` package, which lets a test choose the Origin header. */
export function wsClient(
  baseUrl: string,
  options: { key?: string | null; origin?: string; retry?: boolean } = {},
): Client {
  const origin = options.origin;
  class OriginSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, origin ? { headers: { origin } } : {});
    }
  }
  return createClient({
    url: `${baseUrl.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: OriginSocket,
    connectionParams: options.key ? { authorization: `Bearer ${options.key}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

/** The upgrade's answer when the server refuses it (or 101 when it accepts). */
export function upgradeStatus(
  baseUrl: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(
      `${baseUrl.replace(/^http/, "ws")}/graphql`,
      "graphql-transport-ws",
      {
        headers,
      },
    );
    socket.on("open", () => {
      socket.close();
      resolve({ status: 101, body: "", ms: performance.now() - started });
    });
    socket.on("unexpected-response", (_req, res) => {
      const parts: Buffer[] = [];
      res.on("data", (part: Buffer) => parts.push(part));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(parts).toString("utf8"),
          ms: performance.now() - started,
        }),
      );
    });
    socket.on("error", (error) => reject(error));
  });
}
