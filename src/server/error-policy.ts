// What a client may see of an error. AppErrors (expected failures) keep their message and
// get `extensions.code`; GraphQL's own errors (syntax, validation) pass through; anything
// else is a bug: the client gets a generic message with the request id, the log gets it all.
import { GraphQLError } from "graphql";
import { handleStreamOrSingleExecutionResult, type Plugin } from "graphql-yoga";
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

export function useErrorPolicy(log: Logger): Plugin<GraphQLContext> {
  const rewrite = (
    payload: Parameters<Parameters<typeof handleStreamOrSingleExecutionResult>[1]>[0],
  ) => {
    const { result, setResult, args } = payload;
    if (!result.errors?.length) return;
    const context = args.contextValue as GraphQLContext;
    const ids = { requestId: context.requestId, tenantId: context.actor?.tenantId ?? null };
    setResult({ ...result, errors: result.errors.map((e) => toClientError(e, ids, log)) });
  };
  return {
    onExecute: () => ({
      onExecuteDone: (payload) => handleStreamOrSingleExecutionResult(payload, rewrite),
    }),
    onSubscribe: () => ({
      onSubscribeResult: (payload) => handleStreamOrSingleExecutionResult(payload, rewrite),
    }),
  };
}
