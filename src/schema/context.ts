// The GraphQL context: who is calling, the request id, and the domain context the
// resolvers hand to src/domain. Built per request (HTTP) or per operation (WebSocket).
import type { Subscriber } from "../db/pubsub.ts";
import type { DomainContext } from "../domain/context.ts";
import type { Principal } from "../domain/principal.ts";
import type { ScorerCatalog } from "../domain/scorers.ts";

export interface GraphQLContext {
  actor: Principal | null;
  requestId: string;
  domain: DomainContext;
  /** Event source for subscriptions. */
  events: Subscriber;
  /** The scorer registry; absent in processes that do not load one. */
  scorers?: ScorerCatalog;
}
