// A client process of bench:realtime: opens `sockets` WebSockets with `perSocket`
// subscriptions each, to the AutoScorer API (graphql-ws, `tenantJobs`) or to the bare `ws`
// broadcast server, and tells its parent when every one of its subscribers has got an
// event, and when the last did (performance.timeOrigin + now: one clock for every process
// of the machine).
import WebSocket from "ws";

interface Options {
  mode: "graphql" | "bare";
  url: string;
  key: string;
  sockets: number;
  perSocket: number;
}

const options = JSON.parse(process.argv[2] ?? "{}") as Options;
const now = () => performance.timeOrigin + performance.now();

const send = (message: unknown) => process.send?.(message);

/** Per event id: subscribers that got it; the parent hears when all of this process's have. */
const expected = options.sockets * options.perSocket;
const received = new Map<string, number>();
const record = (eventId: string) => {
  const count = (received.get(eventId) ?? 0) + 1;
  received.set(eventId, count);
  if (count === expected) {
    send({ type: "delivered", eventId, at: now() });
    received.delete(eventId);
  }
};
const closers: Array<() => void> = [];

/**
 * The graphql-transport-ws protocol spoken directly over `ws`, as lean as the bare client
 * (a JSON.parse per message): graphql-ws's own client validates every message, and on two
 * cores its CPU, not the server, would set the pace being measured.
 */
async function openGraphql(): Promise<void> {
  const url = `${options.url.replace(/^http/, "ws")}/graphql`;
  const subscribe = JSON.stringify({
    type: "subscribe",
    payload: { query: "subscription { tenantJobs { cursor event { toState } job { id state } } }" },
  });
  for (let s = 0; s < options.sockets; s++) {
    await new Promise<void>((resolve, reject) => {
      const socket = new WebSocket(url, "graphql-transport-ws");
      socket.on("open", () =>
        socket.send(
          JSON.stringify({
            type: "connection_init",
            payload: { authorization: `Bearer ${options.key}` },
          }),
        ),
      );
      socket.on("error", reject);
      socket.on("close", (code) => send({ type: "error", error: `socket closed (${code})` }));
      socket.on("message", (data) => {
        const message = JSON.parse(String(data)) as {
          type: string;
          payload?: { data?: { tenantJobs: { cursor: string } }; errors?: unknown };
        };
        if (message.type === "next" && message.payload?.data) {
          record(message.payload.data.tenantJobs.cursor);
        } else if (message.type === "connection_ack") {
          for (let i = 0; i < options.perSocket; i++)
            socket.send(subscribe.replace('"subscribe"', `"subscribe","id":"${i}"`));
          resolve();
        } else if (message.type === "error" || message.payload?.errors) {
          send({ type: "error", error: JSON.stringify(message) });
        }
      });
      closers.push(() => socket.close());
    });
  }
}

async function openBare(): Promise<void> {
  for (let s = 0; s < options.sockets; s++) {
    await new Promise<void>((resolve, reject) => {
      const socket = new WebSocket(options.url);
      socket.on("open", () => resolve());
      socket.on("error", reject);
      socket.on("message", (data) => {
        const { eventId } = JSON.parse(String(data)) as { eventId: string };
        // One socket stands for `perSocket` subscribers: the bare server sends each
        // subscription its own message, as graphql-ws does.
        record(eventId);
      });
      closers.push(() => socket.close());
    });
  }
}

process.on("message", (message: { type: string }) => {
  if (message.type === "close") {
    for (const close of closers) close();
    setTimeout(() => process.exit(0), 200);
  }
});

await (options.mode === "graphql" ? openGraphql() : openBare());
send({ type: "open" });
