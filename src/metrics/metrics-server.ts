// A listener of its own for /metrics (config `metrics.port`): for worker and scheduler
// processes, which serve no API, and for deployments that keep /metrics off the public
// API port. Answers /metrics and nothing else.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../log.ts";
import type { MetricsEndpoint } from "./endpoint.ts";

export interface MetricsServer {
  /** http://host:port of the listener. */
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(
  endpoint: MetricsEndpoint,
  listen: { host: string; port: number },
  log: Logger,
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const pathname = (req.url ?? "/").split("?")[0];
    if (pathname !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
      return;
    }
    endpoint.render().then(
      (body) => res.writeHead(200, { "content-type": endpoint.contentType }).end(body),
      (error: unknown) => {
        log.error({ err: error }, "could not render /metrics");
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end("internal error\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) =>
      reject(new Error(`metrics listener on port ${listen.port}`, { cause: error })),
    );
    server.listen({ port: listen.port, host: listen.host }, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = listen.host === "0.0.0.0" ? "localhost" : listen.host;
  return {
    url: `http://${host}:${address.port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
