// Subscription events executed once per audience: subscribers that sent the same operation
// and see the same data share one execution per event, and what a client may see of an
// unexpected error is decided once for that result, not per subscriber.
import {
  type ExecutionArgs,
  type ExecutionResult,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  parse,
} from "graphql";
import { describe, expect, it } from "vitest";
import type { GraphQLContext } from "../../src/schema/context.ts";
import { useSharedSubscriptionExecution } from "../../src/server/shared-subscription-execution.ts";

type Subscribe = (args: ExecutionArgs) => Promise<AsyncIterableIterator<ExecutionResult>>;

/** A schema whose `ticks` subscription yields the given event objects. */
function schemaOf(events: object[]) {
  const Tick = new GraphQLObjectType({
    name: "Tick",
    fields: {
      text: { type: GraphQLString },
      broken: {
        type: GraphQLString,
        resolve: () => {
          throw new Error("database password is hunter2");
        },
      },
    },
  });
  return new GraphQLSchema({
    query: new GraphQLObjectType({ name: "Query", fields: { ok: { type: GraphQLString } } }),
    subscription: new GraphQLObjectType({
      name: "Subscription",
      fields: {
        ticks: {
          type: Tick,
          subscribe: async function* () {
            yield* events;
          },
          resolve: (event: unknown) => event,
        },
      },
    }),
  });
}

function subscribeFn(present: (result: ExecutionResult) => ExecutionResult): Subscribe {
  let subscribe: Subscribe | null = null;
  const plugin = useSharedSubscriptionExecution((result) => present(result));
  (plugin.onSubscribe as (payload: unknown) => void)({
    setSubscribeFn: (fn: Subscribe) => {
      subscribe = fn;
    },
  });
  if (!subscribe) throw new Error("the plugin set no subscribe function");
  return subscribe;
}

const context = (tenantId: string) =>
  ({ actor: { isPlatformAdmin: false, tenantId, role: "MEMBER" } }) as unknown as GraphQLContext;

async function firstOf(subscribe: Subscribe, args: ExecutionArgs) {
  const stream = await subscribe(args);
  const { value } = await stream.next();
  await stream.return?.();
  return value as ExecutionResult;
}

describe("shared subscription execution", () => {
  it("executes an event once per audience and presents each result once", async () => {
    const event = { text: "job 1 is RUNNING" };
    const schema = schemaOf([event]);
    const document = parse("subscription { ticks { text } }");
    let presented = 0;
    const subscribe = subscribeFn((result) => {
      presented += 1;
      return result;
    });
    const a = await firstOf(subscribe, { schema, document, contextValue: context("t1") });
    const b = await firstOf(subscribe, { schema, document, contextValue: context("t1") });
    const other = await firstOf(subscribe, { schema, document, contextValue: context("t2") });
    expect(a).toEqual({ data: { ticks: { text: "job 1 is RUNNING" } } });
    expect(b).toBe(a);
    expect(other).not.toBe(a);
    expect(other).toEqual(a);
    expect(presented).toBe(2);
  });

  it("hands every subscriber the presented result, never the raw error", async () => {
    const schema = schemaOf([{ text: "x" }]);
    const document = parse("subscription { ticks { broken } }");
    const subscribe = subscribeFn((result) => ({
      ...result,
      errors: result.errors?.map(() => ({ message: "Unexpected error" }) as never),
    }));
    const result = await firstOf(subscribe, { schema, document, contextValue: context("t1") });
    expect(JSON.stringify(result)).not.toContain("hunter2");
    expect(result.errors).toEqual([{ message: "Unexpected error" }]);
  });
});
