// A lean keep-alive HTTP/1.1 client for load generation, in the manner of wrk: each
// connection writes request bytes built once and parses only the status line, the framing
// headers and the body. On two cores the load generator shares the CPU with the server it
// measures; Node's http.request spends several times the CPU of this client per call, which
// would make the generator, not the server, the limit (and would not burden the raw `pg`
// baseline, whose driver is already this lean).
import net from "node:net";

export interface HttpRequest {
  path: string;
  body: string;
  headers: Record<string, string>;
}

export function requestBytes(host: string, port: number, request: HttpRequest): Buffer {
  const body = Buffer.from(request.body);
  const headers = {
    host: `${host}:${port}`,
    "content-type": "application/json",
    "content-length": String(body.length),
    ...request.headers,
  };
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  return Buffer.concat([Buffer.from(`POST ${request.path} HTTP/1.1\r\n${head}\r\n`), body]);
}

interface Response {
  status: number;
  body: string;
}

const HEADER_END = Buffer.from("\r\n\r\n");

/** One keep-alive connection with one request in flight at a time. */
export class Connection {
  private readonly socket: net.Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private pending: { resolve(r: Response): void; reject(e: Error): void } | null = null;
  /** Servers close idle keep-alive connections (Node's default: after 5 s). */
  closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (error) => this.fail(error));
    socket.on("close", () => {
      this.closed = true;
      this.fail(new Error("connection closed"));
    });
  }

  static open(host: string, port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port }, () => resolve(new Connection(socket)));
      socket.once("error", reject);
    });
  }

  send(bytes: Buffer): Promise<Response> {
    if (this.pending) throw new Error("one request at a time per connection");
    if (this.closed) return Promise.reject(new Error("connection closed"));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private fail(error: Error): void {
    const pending = this.pending;
    this.pending = null;
    pending?.reject(error);
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const response = this.takeResponse();
    if (!response) return;
    const pending = this.pending;
    this.pending = null;
    pending?.resolve(response);
  }

  /** A whole response from the buffer, or null while more bytes are due. */
  private takeResponse(): Response | null {
    const headerEnd = this.buffered.indexOf(HEADER_END);
    if (headerEnd < 0) return null;
    const head = this.buffered.toString("latin1", 0, headerEnd);
    const status = Number(head.slice(9, 12));
    const bodyStart = headerEnd + 4;
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (length?.[1]) {
      const end = bodyStart + Number(length[1]);
      if (this.buffered.length < end) return null;
      const body = this.buffered.toString("utf8", bodyStart, end);
      this.buffered = this.buffered.subarray(end);
      return { status, body };
    }
    if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return this.takeChunked(status, bodyStart);
    throw new Error(`response without length framing: ${head}`);
  }

  private takeChunked(status: number, bodyStart: number): Response | null {
    const parts: string[] = [];
    let at = bodyStart;
    for (;;) {
      const lineEnd = this.buffered.indexOf("\r\n", at);
      if (lineEnd < 0) return null;
      const size = Number.parseInt(this.buffered.toString("latin1", at, lineEnd), 16);
      const dataEnd = lineEnd + 2 + size;
      if (this.buffered.length < dataEnd + 2) return null;
      if (size === 0) {
        this.buffered = this.buffered.subarray(dataEnd + 2);
        return { status, body: parts.join("") };
      }
      parts.push(this.buffered.toString("utf8", lineEnd + 2, dataEnd));
      at = dataEnd + 2;
    }
  }
}

/**
 * `concurrency` connections, each sending `bytes` and checking the answer; the returned
 * operation takes a free connection for each call, as a closed-loop client needs.
 */
export async function connectionPool(
  host: string,
  port: number,
  concurrency: number,
  bytes: Buffer,
  check: (response: Response) => void,
): Promise<{ operation: () => Promise<void>; close(): void }> {
  const all = await Promise.all(
    Array.from({ length: concurrency }, () => Connection.open(host, port)),
  );
  const idle = [...all];
  return {
    operation: async () => {
      let connection = idle.pop();
      if (!connection) throw new Error("more callers than connections");
      if (connection.closed) {
        all.splice(all.indexOf(connection), 1);
        connection = await Connection.open(host, port);
        all.push(connection);
      }
      try {
        check(await connection.send(bytes));
      } finally {
        idle.push(connection);
      }
    },
    close: () => {
      for (const connection of all) connection.close();
    },
  };
}
