// The job lifecycle: one table of the states a job can be in and the moves between them,
// and the one module that changes a job's state. Every path — submission, admission, a
// worker starting or finishing an attempt, the lease reaper, cancel, retry — calls
// `createJobs` (a job's first state) or `moveJobs` here. A move is set-based: one statement
// per target state moves any number of jobs, writes what entering that state means
// (attempt, placement, lease, timestamps), appends each job's event, and returns the jobs
// as they now are; then the submissions that no longer count are given back and the change
// is published to subscribers once the transaction commits.
//
// Adding a state (PREPARING for image pulls, say) is a new entry in LIFECYCLE: its
// predecessors, what entering it sets, and which sets it belongs to (waiting, placed,
// terminal, counted); every statement and check below derives from the table.

import type { JobErrorCode } from "../../contract/error-codes.ts";
import { prepared } from "../../db/prepared.ts";
import { type EventEnvelope, publishMany } from "../../db/pubsub.ts";
import type { Sql } from "../../db/sql.ts";
import type { ExecutorKind, JobState } from "../../generated/prisma/enums.ts";
import { countJobTransitions } from "../../metrics/job-transitions.ts";
import { type JobRow, jobColumns } from "./job-row.ts";
import { refundSubmissions } from "./submission-counters.ts";

interface StateRules {
  /** The states a job may enter this one from. */
  from: readonly JobState[];
  /** Waiting for admission: what maxQueuedJobs bounds and the scheduler admits from. */
  waiting: boolean;
  /** Placed on a node: holds its share of the tenant's quota and of the node's capacity. */
  placed: boolean;
  /** Over (until its owner retries it). */
  terminal: boolean;
  /** Counts toward submission limits outside competitions (a competition names its own). */
  counted: boolean;
  /** What entering the state sets besides state and error; `j` is the row, `m` the move. */
  onEnter: readonly string[];
}

const LEASE = `"leaseExpiresAt" = now() + make_interval(secs => m.lease_ms / 1000)`;
const FINISH = [`"finishedAt" = now()`, `"leaseExpiresAt" = NULL`];

export const LIFECYCLE: Readonly<Record<JobState, StateRules>> = {
  PENDING: {
    // Submitted (createJobs), back in line after a platform failure or a dispatch that timed
    // out, or retried by its owner after it ended.
    from: ["QUEUED", "RUNNING", "FAILED", "TIMED_OUT", "CANCELLED"],
    waiting: true,
    placed: false,
    terminal: false,
    counted: true,
    onEnter: [
      `"executorNodeId" = NULL`,
      `backend = NULL`,
      `"finishedAt" = NULL`,
      `"leaseExpiresAt" = NULL`,
      `"notBefore" = m.not_before`,
      // A retry by request brings a fresh budget of automatic attempts and forgets a cancel.
      `"maxAttempts" = COALESCE(m.max_attempts, j."maxAttempts")`,
      `"cancelRequested" = j."cancelRequested" AND m.max_attempts IS NULL`,
    ],
  },
  QUEUED: {
    // Admitted and placed on a node as a new attempt: the fencing token every later report
    // of the attempt must quote.
    from: ["PENDING"],
    waiting: false,
    placed: true,
    terminal: false,
    counted: true,
    onEnter: [
      `attempt = j.attempt + 1`,
      `"executorNodeId" = m.node`,
      `backend = m.backend`,
      `"queuedAt" = now()`,
      LEASE,
      `"notBefore" = NULL`,
    ],
  },
  RUNNING: {
    from: ["QUEUED"],
    waiting: false,
    placed: true,
    terminal: false,
    counted: true,
    onEnter: [`"startedAt" = now()`, LEASE],
  },
  SUCCEEDED: {
    from: ["RUNNING"],
    waiting: false,
    placed: false,
    terminal: true,
    counted: true,
    onEnter: FINISH,
  },
  FAILED: {
    // Refused at admission, lost before it started, or failed while running.
    from: ["PENDING", "QUEUED", "RUNNING"],
    waiting: false,
    placed: false,
    terminal: true,
    counted: true,
    onEnter: FINISH,
  },
  TIMED_OUT: {
    from: ["RUNNING"],
    waiting: false,
    placed: false,
    terminal: true,
    counted: true,
    onEnter: FINISH,
  },
  CANCELLED: {
    from: ["PENDING", "QUEUED", "RUNNING"],
    waiting: false,
    placed: false,
    terminal: true,
    counted: false,
    onEnter: FINISH,
  },
};

export const JOB_STATES = Object.keys(LIFECYCLE) as JobState[];

const statesWhere = (test: (rules: StateRules) => boolean): readonly JobState[] =>
  JOB_STATES.filter((state) => test(LIFECYCLE[state]));

export const WAITING_STATES = statesWhere((r) => r.waiting);
export const PLACED_STATES = statesWhere((r) => r.placed);
export const TERMINAL_STATES = statesWhere((r) => r.terminal);
export const DEFAULT_COUNTED_STATES = statesWhere((r) => r.counted);

export const isTerminal = (state: JobState): boolean => LIFECYCLE[state].terminal;
export const canMove = (from: JobState, to: JobState): boolean => LIFECYCLE[to].from.includes(from);

/** `('QUEUED', 'RUNNING')`: a state set as SQL, as the partial indexes on "Job" spell it. */
export const sqlStates = (states: readonly JobState[]): string =>
  `(${states.map((state) => `'${state}'`).join(", ")})`;

/** One job to move. Unset fields keep their column or take the target state's default. */
export interface JobMove {
  jobId: string;
  to: JobState;
  /** Narrows the table's predecessors for this move (cancel takes waiting jobs only, say). */
  from?: readonly JobState[];
  /** Fencing: only this attempt may move the job, so a stale worker's report changes nothing. */
  attempt?: number;
  /** The code the job now carries; null (or unset) clears it. */
  errorCode?: JobErrorCode | null;
  /** The event's text; also the job's errorMessage when it carries a code. */
  message?: string | null;
  /** Entering QUEUED: where the job is placed. */
  node?: { id: string; kind: ExecutorKind };
  /** Entering QUEUED or RUNNING: the lease, from now. */
  leaseMs?: number;
  /** Entering PENDING: not admitted before then (a retry's backoff). */
  notBefore?: Date | null;
  /** Entering PENDING by request: a fresh budget of automatic attempts. */
  maxAttempts?: number;
}

/** What subscribers of the `job` and `tenant-jobs` topics receive. */
export interface JobStateEvent {
  id: string;
  tenantId: string;
  state: JobState;
  /** Null when the job was just submitted. */
  previousState: JobState | null;
  attempt: number;
  errorCode: string | null;
  /** The JobEvent row's id: a cursor into the job's history. */
  eventId: string;
  at: string;
}

export type MovedJob = JobRow & { previousState: JobState | null; eventId: string };

/**
 * Checks each move against the table and groups them by target state, in the table's
 * order (so two transactions lock jobs in the same order of statements). Throws for a
 * move the table does not allow: that is a bug in the caller, not a runtime condition.
 */
export function planMoves(moves: readonly JobMove[]): Map<JobState, JobMove[]> {
  const groups = new Map<JobState, JobMove[]>(JOB_STATES.map((state) => [state, []]));
  for (const move of moves) {
    const allowed = LIFECYCLE[move.to].from;
    for (const from of move.from ?? allowed) {
      if (!allowed.includes(from)) throw new Error(`a job cannot move from ${from} to ${move.to}`);
    }
    if (move.from?.length === 0) throw new Error(`a move to ${move.to} names no state to leave`);
    groups.get(move.to)?.push(move);
  }
  for (const [state, group] of groups) if (group.length === 0) groups.delete(state);
  return groups;
}

const MOVE_COLUMNS = `m(id, attempt, from_states, error_code, message, node, backend, lease_ms,
  not_before, max_attempts)`;
const MOVE_VALUES = `unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::uuid[],
  $7::"ExecutorKind"[], $8::float8[], $9::timestamp[], $10::int[]) AS ${MOVE_COLUMNS}`;

const REFUND = `(j."chargedOn" IS NOT NULL AND NOT (j.state = ANY(COALESCE(
    (SELECT c."countedStates" FROM "Competition" c WHERE c.id = j."competitionId"),
    ARRAY[${DEFAULT_COUNTED_STATES.map((s) => `'${s}'`).join(", ")}]::"JobState"[]))))`;

/**
 * The statement that moves a batch of jobs into `to`. `locked`: some move may come from
 * several states, so the rows are locked first to read the state each leaves; when every
 * move leaves one known state, that state is the move's own and no extra read is needed.
 */
function moveStatement(to: JobState, locked: boolean) {
  const set = [
    `"errorCode" = m.error_code`,
    `"errorMessage" = CASE WHEN m.error_code IS NULL THEN NULL ELSE m.message END`,
    ...LIFECYCLE[to].onEnter,
  ].join(", ");
  const source = locked
    ? `${MOVE_VALUES} JOIN (SELECT id, state FROM "Job" WHERE id = ANY($1::uuid[])
         ORDER BY id FOR UPDATE) AS old ON old.id = m.id`
    : MOVE_VALUES;
  const previous = locked ? "old.state" : `m.from_states::"JobState"`;
  return prepared(
    `lifecycle.to-${to.toLowerCase()}${locked ? "-locked" : ""}`,
    `WITH moved AS (
       UPDATE "Job" AS j SET state = '${to}', ${set}
       FROM ${source}
       WHERE j.id = m.id AND j.state::text = ANY(string_to_array(m.from_states, ','))
         AND (m.attempt IS NULL OR j.attempt = m.attempt)
       RETURNING ${jobColumns("j")}, ${previous} AS "previousState", m.message AS "eventMessage",
         ${REFUND} AS refund),
     event AS (
       INSERT INTO "JobEvent" ("jobId", attempt, "fromState", "toState", "errorCode", message)
       SELECT id, attempt, "previousState", state, "errorCode", "eventMessage" FROM moved
       RETURNING id, "jobId")
     SELECT moved.*, event.id::text AS "eventId" FROM moved JOIN event ON event."jobId" = moved.id`,
  );
}

const STATEMENTS = new Map(
  JOB_STATES.map((state) => [
    state,
    { known: moveStatement(state, false), locked: moveStatement(state, true) },
  ]),
);

type MovedRow = MovedJob & { eventMessage: string | null; refund: boolean };

/**
 * Moves jobs, each from one of its allowed states (and attempt, when given) to its target;
 * a job in another state or attempt is left alone and missing from the result. Returns the
 * moved jobs as they now are.
 */
export async function moveJobs(tx: Sql, moves: readonly JobMove[]): Promise<MovedJob[]> {
  const moved: MovedJob[] = [];
  for (const [to, group] of planMoves(moves)) {
    const froms = group.map((move) => move.from ?? LIFECYCLE[to].from);
    const statements = STATEMENTS.get(to);
    if (!statements) continue;
    const statement = froms.every((from) => from.length === 1)
      ? statements.known
      : statements.locked;
    const { rows } = await tx.query<MovedRow>(
      statement([
        group.map((m) => m.jobId),
        group.map((m) => m.attempt ?? null),
        froms.map((from) => from.join(",")),
        group.map((m) => m.errorCode ?? null),
        group.map((m) => m.message ?? null),
        group.map((m) => m.node?.id ?? null),
        group.map((m) => m.node?.kind ?? null),
        group.map((m) => m.leaseMs ?? null),
        // UTC wall time, as every TIMESTAMP column holds (src/db/timestamps.ts).
        group.map((m) => m.notBefore?.toISOString() ?? null),
        group.map((m) => m.maxAttempts ?? null),
      ]),
    );
    // A job that entered a state its competition does not count gives its submission back.
    const refunds = rows.filter((row) => row.refund);
    if (refunds.length > 0) {
      await refundSubmissions(tx, refunds);
      await tx.query(`UPDATE "Job" SET "chargedOn" = NULL WHERE id = ANY($1::uuid[])`, [
        refunds.map((row) => row.id),
      ]);
      for (const row of refunds) row.chargedOn = null;
    }
    for (const { eventMessage: _m, refund: _r, ...job } of rows) moved.push(job);
  }
  countJobTransitions(moved);
  await publishMany(
    tx,
    moved.flatMap((job) => jobStateEvents(job)),
  );
  return moved;
}

/** A checked submission, as createJobs stores it. */
export interface NewJob {
  id: string;
  tenantId: string;
  submittedById: string | null;
  clientJobId: string | null;
  taskType: string;
  scorer: string;
  scorerParams: Record<string, unknown>;
  inputUri: string;
  timeLimitSec: number;
  cpuMillis: number;
  memoryMb: number;
  gpus: number;
  container: unknown;
  executorPreference: ExecutorKind | null;
  priority: number;
  competitionId: string | null;
  phaseId: string | null;
  maxAttempts: number;
  submittedAt: Date;
  /** UTC day (YYYY-MM-DD) whose submission counters the job is charged to. */
  chargedOn: string;
}

const INSERT_JOBS = prepared(
  "lifecycle.create",
  `WITH job AS (
       INSERT INTO "Job" (id, "tenantId", "submittedById", "clientJobId", state, "taskType",
         scorer, "scorerParams", "inputUri", "timeLimitSec", "cpuMillis", "memoryMb", gpus,
         container, "executorPreference", priority, "competitionId", "phaseId", "maxAttempts",
         "submittedAt", "chargedOn")
       SELECT id, tenant, submitter, client, 'PENDING', task, scorer, params, input, seconds,
         cpu, memory, gpus, container, preference, priority, competition, phase, attempts,
         submitted, charged
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[],
         $7::jsonb[], $8::text[], $9::int[], $10::int[], $11::int[], $12::int[], $13::jsonb[],
         $14::"ExecutorKind"[], $15::int[], $16::uuid[], $17::uuid[], $18::int[],
         $19::timestamp[], $20::date[])
         AS j(id, tenant, submitter, client, task, scorer, params, input, seconds, cpu, memory,
           gpus, container, preference, priority, competition, phase, attempts, submitted,
           charged)
       ON CONFLICT ("tenantId", "clientJobId") WHERE "clientJobId" IS NOT NULL DO NOTHING
       RETURNING ${jobColumns()}),
     event AS (
       INSERT INTO "JobEvent" ("jobId", attempt, "fromState", "toState", message)
       SELECT id, 0, NULL, 'PENDING', 'submitted' FROM job
       RETURNING id, "jobId")
     SELECT job.*, NULL AS "previousState", event.id::text AS "eventId"
     FROM job JOIN event ON event."jobId" = job.id`,
);

/**
 * Stores new jobs in their first state (PENDING) with their first events, and publishes
 * them after commit. A job whose client jobId its tenant already used is not stored (the
 * caller finds the earlier one); returns the stored jobs by id.
 */
export async function createJobs(tx: Sql, jobs: readonly NewJob[]): Promise<Map<string, MovedJob>> {
  if (jobs.length === 0) return new Map();
  const column = <T>(pick: (job: NewJob) => T) => jobs.map(pick);
  const { rows } = await tx.query<MovedJob>(
    INSERT_JOBS([
      column((j) => j.id),
      column((j) => j.tenantId),
      column((j) => j.submittedById),
      column((j) => j.clientJobId),
      column((j) => j.taskType),
      column((j) => j.scorer),
      column((j) => JSON.stringify(j.scorerParams)),
      column((j) => j.inputUri),
      column((j) => j.timeLimitSec),
      column((j) => j.cpuMillis),
      column((j) => j.memoryMb),
      column((j) => j.gpus),
      column((j) => (j.container ? JSON.stringify(j.container) : null)),
      column((j) => j.executorPreference),
      column((j) => j.priority),
      column((j) => j.competitionId),
      column((j) => j.phaseId),
      column((j) => j.maxAttempts),
      // UTC wall time, as every TIMESTAMP column holds (src/db/timestamps.ts).
      column((j) => j.submittedAt.toISOString()),
      column((j) => j.chargedOn),
    ]),
  );
  countJobTransitions(rows);
  await publishMany(
    tx,
    rows.flatMap((row) => jobStateEvents(row)),
  );
  return new Map(rows.map((row) => [row.id, row]));
}

/** The two events (per job, per tenant) that tell subscribers a job changed state. */
function jobStateEvents(job: MovedJob): EventEnvelope[] {
  const data: JobStateEvent = {
    id: job.id,
    tenantId: job.tenantId,
    state: job.state,
    previousState: job.previousState,
    attempt: job.attempt,
    errorCode: job.errorCode,
    eventId: job.eventId,
    at: new Date().toISOString(),
  };
  return [
    { topic: "job", key: job.id, data },
    { topic: "tenant-jobs", key: job.tenantId, data },
  ];
}
