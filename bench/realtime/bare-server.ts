// The bare baseline of bench:realtime: a `ws` server that LISTENs on Postgres and sends
// every NOTIFY payload to every connected socket, `perSocket` times each (one message per
// subscription, as the GraphQL server sends one per subscription). No authentication, no
// GraphQL, no per-subscriber work: the floor of a broadcast over WebSocket.
import pg from "pg";
import { WebSocketServer } from "ws";

const { databaseUrl, perSocket } = JSON.parse(process.argv[2] ?? "{}") as {
  databaseUrl: string;
  perSocket: number;
};

const listener = new pg.Client(databaseUrl);
await listener.connect();
await listener.query("LISTEN bench_bare");
const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
listener.on("notification", (message) => {
  const payload = message.payload ?? "";
  for (const socket of wss.clients) for (let i = 0; i < perSocket; i++) socket.send(payload);
});
wss.on("listening", () => {
  const address = wss.address() as { port: number };
  process.send?.({ type: "listening", url: `ws://127.0.0.1:${address.port}` });
});
process.on("message", (message: { type: string }) => {
  if (message.type === "close") {
    wss.close();
    void listener.end().then(() => process.exit(0));
  }
});
