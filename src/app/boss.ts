// pg-boss for the job pipeline: its own small pool, LISTEN/NOTIFY so a send wakes the
// worker at once (a polling interval must never set the platform's latency), and the
// scheduler's wake-up queue created up front.
import { PgBoss } from "pg-boss";
import { SCHEDULER_WAKE_QUEUE } from "../domain/jobs/queues.ts";

export interface BossOptions {
  url: string;
  poolSize?: number;
  /** Called for pg-boss's own errors (a lost connection, a failed maintenance run). */
  onError: (error: unknown) => void;
}

export async function startBoss(options: BossOptions): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: options.url,
    max: options.poolSize ?? 4,
    useListenNotify: true,
    application_name: "autoscorer-boss",
  });
  boss.on("error", options.onError);
  await boss.start();
  // Wake-ups carry no data worth keeping once taken. No NOTIFY of their own: a NOTIFY inside
  // the submitting transaction would serialise every commit (see db/pubsub.ts); the job's
  // own state event, sent after commit, wakes the scheduler at once, and this durable
  // message backs it up should that event be missed.
  await boss.createQueue(SCHEDULER_WAKE_QUEUE, { retryLimit: 0, deleteAfterSeconds: 60 });
  return boss;
}
