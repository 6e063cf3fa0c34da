// Every operation runs in the database scope of its caller (src/db/tenant-scope.ts): a
// tenant's key in its tenant's, a platform admin's as platform work, a caller without a key
// in a scope that shows no tenant's rows. The row-level security policies then hold under
// the resolvers' own checks, so a query that forgets its tenant filter finds nothing of
// another tenant's. Last among the plugins, so it wraps the execute and subscribe functions
// the others chose.
import type { Plugin } from "graphql-yoga";
import { NO_TENANT, withTenantScope } from "../db/tenant-scope.ts";
import type { GraphQLContext } from "../schema/context.ts";

function scopeOf(context: Partial<GraphQLContext> | undefined): string | null {
  const actor = context?.actor;
  if (!actor) return NO_TENANT;
  return actor.isPlatformAdmin ? null : (actor.tenantId ?? NO_TENANT);
}

export function useTenantScope(): Plugin<GraphQLContext> {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const tenant = scopeOf(args.contextValue as Partial<GraphQLContext>);
      setExecuteFn((execution) => withTenantScope(tenant, () => executeFn(execution)));
    },
    // A subscription's authorisation and first read run in its caller's scope; the events
    // that follow come from feeds shared by many subscribers, which read as platform work
    // and are filtered per audience (src/realtime).
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      const tenant = scopeOf(args.contextValue as Partial<GraphQLContext>);
      setSubscribeFn((subscription) => withTenantScope(tenant, () => subscribeFn(subscription)));
    },
  };
}
