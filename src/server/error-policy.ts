// What a client may see of an error. AppErrors (expected failures) keep their message and
// get `extensions.code`; GraphQL's own errors (syntax, validation) pass through; anything
// else is a bug: the client gets a generic message with the request id, the log gets it all.
import { type ExecutionResult, GraphQLError } from "graphql";
import { handleStreamOrSingleExecutionResult, isAsyncIterable, type Plugin } from "graphql-yoga";
import { AppError } from "../domain/errors.ts";
import type { Logger } from "../log.ts";
import type { GraphQLContext } from "../schema/context.ts";

/** Whose request it was, for the log line of an unexpected error. */
export interface RequestIds {
  requestId: string;
  /** The caller's tenant; null for platform admins and anonymous callers. */
  tenantId: string | null;
}

export function toClientError(error: GraphQLError, ids: RequestIds, log: Logger): GraphQLError {
  const { requestId } = ids;
  const original = error.originalError;
  if (original instanceof AppError) {
    return new GraphQLError(original.message, {
      nodes: error.nodes,
      path: error.path,
      extensions: {
        code: original.code,
        ...(original.details ? { details: original.details } : {}),
      },
    });
  }
  // No original error: produced by graphql-js itself (parse, validate, coercion).
  if (!original || original instanceof GraphQLError) return error;
  log.error({ err: original, ...ids, path: error.path?.join(".") }, "unexpected error");
  return new GraphQLError(`Unexpected error (request id ${requestId})`, {
    nodes: error.nodes,
    path: error.path,
    extensions: { code: "INTERNAL_SERVER_ERROR", requestId },
  });
}

/** The result as a client may see it: its errors rewritten by `toClientError`. */
export function clientResult(
  result: ExecutionResult,
  context: GraphQLContext,
  log: Logger,
): ExecutionResult {
  if (!result.errors?.length) return result;
  const ids = { requestId: context.requestId, tenantId: context.actor?.tenantId ?? null };
  return { ...result, errors: result.errors.map((e) => toClientError(e, ids, log)) };
}

/**
 * Rewrites the errors of every query and mutation result and of a subscription's refusal.
 * The events of a subscription stream are not mapped here, per subscriber: they are
 * executed once per audience (shared-subscription-execution.ts), which applies
 * `clientResult` to each result once, for all the subscribers it goes to.
 */
export function useErrorPolicy(log: Logger): Plugin<GraphQLContext> {
  const rewrite = ({
    result,
    setResult,
    args,
  }: {
    result: ExecutionResult;
    setResult: (result: ExecutionResult) => void;
    args: { contextValue: unknown };
  }) => {
    const rewritten = clientResult(result, args.contextValue as GraphQLContext, log);
    if (rewritten !== result) setResult(rewritten);
  };
  return {
    onExecute: () => ({
      onExecuteDone: (payload) => handleStreamOrSingleExecutionResult(payload, rewrite),
    }),
    onSubscribe: () => ({
      onSubscribeResult: ({ result, setResult, args }) => {
        if (!isAsyncIterable(result)) rewrite({ result, setResult, args });
      },
    }),
  };
}
