// Counts and times every GraphQL operation, over HTTP and WebSocket alike (both run through
// Yoga's envelop, see src/server/websocket.ts), by operation name and type.
//
// Operation names come from clients, so the label set is bounded: unnamed operations share
// "anonymous", and once `maxOperationNames` distinct names were seen, any new one counts
// under "other" for the life of the process. Requests that never reach execution count
// too: unparsable ones under "invalid", and those refused by validation or while their
// context was built (a bad key, a rate limit) with the name they carried.
//
// Outcome: "ok"; "client_error" when every error carries a code the client caused
// (validation, UNAUTHENTICATED, FORBIDDEN …); "server_error" when any is unexpected
// (INTERNAL_SERVER_ERROR once masked), which is what the error-rate alert watches.
// Expected failures returned as typed results are data, not errors: they count as "ok".
import {
  type DocumentNode,
  type ExecutionResult,
  GraphQLError,
  getOperationAST,
  type OperationTypeNode,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import { AppError } from "../domain/errors.ts";
import type { ProcessMetrics } from "./process-metrics.ts";

export type OperationOutcome = "ok" | "client_error" | "server_error";

interface OperationLabels {
  operation: string;
  type: OperationTypeNode | "unknown";
}

export interface OperationMetricsOptions {
  metrics: Pick<ProcessMetrics, "graphqlOperations" | "graphqlDuration">;
  /** Distinct operation names kept as labels; later ones count as "other". */
  maxOperationNames: number;
}

const INVALID: OperationLabels = { operation: "invalid", type: "unknown" };
const MAX_NAME_LENGTH = 100;

export function useOperationMetrics(options: OperationMetricsOptions): Plugin {
  const { graphqlOperations, graphqlDuration } = options.metrics;
  const names = new Set<string>();
  const nameLabel = (name: string | undefined): string => {
    if (!name) return "anonymous";
    if (names.has(name)) return name;
    if (names.size >= options.maxOperationNames || name.length > MAX_NAME_LENGTH) return "other";
    names.add(name);
    return name;
  };
  const labelsOf = (document: DocumentNode, operationName?: string | null): OperationLabels => {
    const operation = getOperationAST(document, operationName);
    return {
      operation: nameLabel(operation?.name?.value),
      type: operation?.operation ?? "unknown",
    };
  };
  const count = (labels: OperationLabels, outcome: OperationOutcome) =>
    graphqlOperations.inc({ ...labels, outcome });

  // What parse learned of a request, for the hooks that see its context but not its
  // document: validation and context building (HTTP). Keyed by the envelop context, which
  // is one object from parse to execution.
  const parsed = new WeakMap<object, OperationLabels>();

  return {
    onPluginInit: ({ registerContextErrorHandler }) => {
      registerContextErrorHandler(({ context, error }) => {
        const labels = parsed.get(context) ?? INVALID;
        count(labels, isServerError(error) ? "server_error" : "client_error");
      });
    },
    onParse: ({ context }) => {
      return ({ result }) => {
        if (result instanceof Error || result === null) return count(INVALID, "client_error");
        const params = (context as { params?: { operationName?: string | null } }).params;
        parsed.set(context, labelsOf(result, params?.operationName));
      };
    },
    onValidate: ({ context, params }) => {
      return ({ valid }) => {
        if (valid) return;
        const labels = parsed.get(context) ?? labelsOf(params.documentAST);
        count(labels, "client_error");
      };
    },
    onExecute: ({ args }) => {
      const labels = labelsOf(args.document, args.operationName);
      const stop = graphqlDuration.startTimer(labels);
      return {
        onExecuteDone: ({ result }) => {
          stop();
          count(labels, isAsyncIterable(result) ? "ok" : outcomeOf(result));
        },
      };
    },
    onSubscribe: ({ args }) => {
      const labels = labelsOf(args.document, args.operationName);
      const stop = graphqlDuration.startTimer(labels);
      return {
        onSubscribeResult: ({ result }) => {
          stop();
          // A stream started: its events are not operations of their own.
          count(labels, isAsyncIterable(result) ? "ok" : outcomeOf(result));
        },
        onSubscribeError: ({ error }) => {
          stop();
          count(labels, isServerError(error) ? "server_error" : "client_error");
        },
      };
    },
  };
}

export function outcomeOf(result: ExecutionResult): OperationOutcome {
  const errors = result.errors ?? [];
  if (errors.length === 0) return "ok";
  return errors.some(isServerError) ? "server_error" : "client_error";
}

/** Unexpected: masked as INTERNAL_SERVER_ERROR, or not yet masked and not an AppError. */
function isServerError(error: unknown): boolean {
  if (!(error instanceof GraphQLError)) return !(error instanceof AppError);
  const code = error.extensions?.code;
  if (code !== undefined) return code === "INTERNAL_SERVER_ERROR";
  const original = error.originalError;
  if (!original || original instanceof GraphQLError) return false;
  return !(original instanceof AppError);
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === "object" && value !== null && Symbol.asyncIterator in value;
