// Subscription events executed once per audience, not once per subscriber. A live feed
// hands the very same event object to every subscriber of a job, a tenant or a board;
// subscribers that sent the same operation (the same parsed document, as Yoga's parse cache
// gives it, with the same variables) as callers who see the same data get the same result,
// so it is computed for the first of them and handed to the rest. Ten thousand dashboards
// following one tenant cost one execution per event, plus a send each.
//
// "See the same data": resolvers reachable from subscription payloads depend on the caller
// only through whether it is a platform admin, its tenant and its role (a leaderboard's own
// row, a tenant's keys for its owners). Those three make the audience; nothing else of the
// caller may change a subscription result.
//
// Installed through envelop's own hook (`setSubscribeFn`): every plugin's onSubscribe and
// onSubscribeResult still runs for each subscription; the source stream comes from
// graphql-js's createSourceEventStream (the field's `subscribe` with its own arguments).
import type { Plugin } from "@envelop/core";
import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
} from "graphql";
import type { GraphQLContext } from "../schema/context.ts";

/** Per event object: the result for each audience and operation that executed it. */
const results = new WeakMap<object, Map<string, Promise<ExecutionResult> | ExecutionResult>>();

/** Stable ids for documents, so a key can name one without holding it. */
const documentIds = new WeakMap<DocumentNode, number>();
let nextDocumentId = 0;

function audienceKey(args: ExecutionArgs): string {
  const actor = (args.contextValue as GraphQLContext | undefined)?.actor ?? null;
  let documentId = documentIds.get(args.document);
  if (documentId === undefined) {
    documentId = nextDocumentId++;
    documentIds.set(args.document, documentId);
  }
  const viewer = actor ? `${actor.isPlatformAdmin}|${actor.tenantId}|${actor.role}` : "anonymous";
  return `${documentId}|${args.operationName ?? ""}|${JSON.stringify(args.variableValues ?? {})}|${viewer}`;
}

/**
 * What a client may see of an event's result (error masking), applied once per result: an
 * unexpected error is logged once per audience, and its message names the request id of the
 * subscription that executed the event for all of them.
 */
export type PresentResult = (result: ExecutionResult, args: ExecutionArgs) => ExecutionResult;

async function executeOnce(args: ExecutionArgs, payload: unknown, present: PresentResult) {
  return present(await execute({ ...args, rootValue: payload }), args);
}

function executeShared(args: ExecutionArgs, key: string, payload: unknown, present: PresentResult) {
  if (typeof payload !== "object" || payload === null) return executeOnce(args, payload, present);
  let forEvent = results.get(payload);
  if (!forEvent) {
    forEvent = new Map();
    results.set(payload, forEvent);
  }
  let result = forEvent.get(key);
  if (!result) {
    result = executeOnce(args, payload, present);
    forEvent.set(key, result);
  }
  return result;
}

/** A subscription's results: each event of its source, executed (or looked up) for it. */
class SharedResults implements AsyncIterableIterator<ExecutionResult> {
  private readonly key: string;

  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly args: ExecutionArgs,
    private readonly present: PresentResult,
  ) {
    this.key = audienceKey(args);
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    const event = await this.source.next();
    if (event.done) return { value: undefined, done: true };
    return {
      value: await executeShared(this.args, this.key, event.value, this.present),
      done: false,
    };
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    await this.source.return?.();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * `present` is applied to each event's result once, where it is computed, instead of a map
 * over every subscriber's stream: an envelop `onNext` per subscriber would cost a promise
 * and a turn per message, ten thousand times an event.
 */
export function useSharedSubscriptionExecution(present: PresentResult): Plugin<GraphQLContext> {
  const subscribe = async (args: ExecutionArgs) => {
    const source = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in source)) return source;
    return new SharedResults(source[Symbol.asyncIterator](), args, present);
  };
  return {
    onSubscribe: ({ setSubscribeFn }) => setSubscribeFn(subscribe as never),
  };
}
