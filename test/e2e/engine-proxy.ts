// A stand-in for the Docker engine's socket: a Unix socket that passes every connection
// through to the real engine, so a test can break "the engine" of one executor node
// without touching the engine every test shares. `refuse()` makes it refuse connections
// the way a stopped engine's leftover socket does (the path exists, nothing listens:
// ECONNREFUSED) and cuts the connections open; `restore()` listens again.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export interface EngineProxy {
  socketPath: string;
  refuse(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startEngineProxy(engine = "/var/run/docker.sock"): Promise<EngineProxy> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "autoscorer-engine-proxy-"));
  const socketPath = path.join(dir, "docker.sock");
  const open = new Set<net.Socket>();
  let server: net.Server | null = null;

  const listen = async () => {
    const next = net.createServer((client) => {
      const upstream = net.connect(engine);
      for (const socket of [client, upstream]) {
        open.add(socket);
        socket.once("close", () => open.delete(socket));
        // Cut on purpose by refuse(), or by a peer going away: the other side sees the close.
        socket.on("error", () => socket.destroy());
      }
      client.once("close", () => upstream.destroy());
      upstream.once("close", () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      next.once("error", reject);
      next.listen(socketPath, resolve);
    });
    server = next;
  };

  const stop = async () => {
    const current = server;
    server = null;
    if (!current) return;
    const closed = new Promise<void>((resolve) => current.close(() => resolve()));
    for (const socket of open) socket.destroy();
    // Node removes the socket file once the server has closed.
    await closed;
  };

  await listen();
  return {
    socketPath,
    async refuse() {
      await stop();
      // Connecting to a path that is not a listening socket is refused by the kernel.
      writeFileSync(socketPath, "");
    },
    async restore() {
      rmSync(socketPath, { force: true });
      await listen();
    },
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
