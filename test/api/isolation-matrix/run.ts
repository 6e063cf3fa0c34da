// Runs one cell of the matrix and says how it ended: "ok", or the error code the caller got
// (from the field's Error result, a GraphQL error's extensions, or the socket's close), with
// everything the caller received, for the leak check.
import { connectLive } from "../../helpers/live.ts";
import type { Operation, Row } from "./operations.ts";
import type { Caller, World } from "./world.ts";

export interface CellOutcome {
  outcome: string;
  /** Every byte of every answer the caller received. */
  received: string;
}

interface GraphQLAnswer {
  status: number;
  data?: Record<string, unknown> | null;
  errors?: Array<{ extensions?: { code?: string } }>;
}

function codeOf(answer: GraphQLAnswer, field: string): string {
  const error = answer.errors?.[0];
  if (error) return error.extensions?.code ?? `HTTP_${answer.status}`;
  const value = answer.data?.[field] as { __typename?: string; code?: string } | undefined;
  if (value && typeof value === "object" && typeof value.code === "string") return value.code;
  return answer.status === 200 ? "ok" : `HTTP_${answer.status}`;
}

export async function runRequest(
  w: World,
  caller: Caller,
  field: string,
  operation: Operation,
): Promise<CellOutcome> {
  const answer = (await w.p.api.gql(
    operation.query,
    operation.variables,
    w.keys[caller],
  )) as GraphQLAnswer;
  return { outcome: codeOf(answer, field), received: JSON.stringify(answer) };
}

/** Close codes graphql-ws uses for a refused connection, as the contract's codes. */
const CLOSE_CODES: Record<number, string> = { 4401: "UNAUTHENTICATED", 4403: "FORBIDDEN" };

/** "ok" for data without errors, else the first error's code, else the close code's. */
function subscriptionOutcome(values: unknown[], errors: unknown[], close: number | null): string {
  if (values.length > 0 && errors.length === 0) return "ok";
  // graphql-ws reports a refused operation as a list of GraphQL errors.
  const error = (Array.isArray(errors[0]) ? errors[0][0] : errors[0]) as
    | { extensions?: { code?: string } }
    | undefined;
  if (error?.extensions?.code) return error.extensions.code;
  if (close !== null) return CLOSE_CODES[close] ?? `CLOSE_${close}`;
  return error ? "ERROR" : "silent";
}

/**
 * Every caller subscribes at once; then the row's trigger makes the target's next event
 * happen. A caller is "ok" once a value arrives; a refusal is its error's code or the
 * socket's close code. Callers still silent at the deadline are "silent".
 */
export async function runSubscriptions(
  w: World,
  row: Row,
  callers: readonly Caller[],
  expectData: (caller: Caller) => boolean,
): Promise<Record<string, CellOutcome>> {
  const cells = await Promise.all(
    callers.map(async (caller) => {
      const operation = await row.build(w.targetOf(caller), w);
      const live = connectLive(w.p.api.url, w.keys[caller]);
      const received = live.subscribe<Record<string, unknown>>(
        operation.query,
        operation.variables,
      );
      let closeCode: number | null = null;
      void live.closed.then((code) => {
        closeCode = code;
      });
      return { caller, live, received, closed: () => closeCode };
    }),
  );
  // Subscriptions that start from now on need the event to happen after they joined.
  await new Promise((resolve) => setTimeout(resolve, 300));
  if (row.trigger) {
    await row.trigger(w.alpha, w);
    await row.trigger(w.gamma, w);
  }
  const deadline = Date.now() + 5_000;
  const settled = (cell: (typeof cells)[number]) =>
    cell.received.values.length > 0 || cell.received.errors.length > 0 || cell.closed() !== null;
  while (
    Date.now() < deadline &&
    !cells.every((cell) => settled(cell) || !expectData(cell.caller))
  ) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  // Those that should not get anything get a moment more to show they do not.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const outcomes: Record<string, CellOutcome> = {};
  for (const cell of cells) {
    const { values, errors } = cell.received;
    const outcome = subscriptionOutcome(values, errors, cell.closed());
    outcomes[cell.caller] = { outcome, received: JSON.stringify({ values, errors }) };
    cell.received.stop();
    await cell.live.dispose();
  }
  return outcomes;
}
