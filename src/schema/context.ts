// The GraphQL context: who is calling, the request id, the domain context the resolvers
// hand to src/domain, and the services some of those functions need besides it. Built per
// request (HTTP, SSE) or per operation (WebSocket) by src/server/graphql.ts.
import type { Subscriber } from "../db/pubsub.ts";
import type { DomainContext } from "../domain/context.ts";
import type { RetrySettings } from "../domain/jobs/retry.ts";
import type { SubmissionBatcher } from "../domain/jobs/submission-batcher.ts";
import type { Principal } from "../domain/principal.ts";
import type { ScorerCatalog } from "../domain/scorers.ts";
import type { Logger } from "../log.ts";
import type { LiveFeeds } from "../realtime/live-feeds.ts";

/** What the API's resolvers need beyond the domain context; wired once per process. */
export interface ApiServices {
  /** Events from every process (LISTEN/NOTIFY), for subscriptions. */
  events: Subscriber;
  scorers: ScorerCatalog;
  submissions: SubmissionBatcher;
  retry: RetrySettings;
  /** The process's live feeds, for subscriptions. */
  live: LiveFeeds;
}

export interface GraphQLContext {
  actor: Principal | null;
  requestId: string;
  domain: DomainContext;
  services: ApiServices;
  /** The API's logger with this request's id. */
  log: Logger;
}
