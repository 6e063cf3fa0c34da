// An API process on its own cloned database (the platform's own wiring, api role only),
// plus a tiny GraphQL client.
import type { PgBoss } from "pg-boss";
import type { Database } from "../../src/db/database.ts";
import type { Subscriber } from "../../src/db/pubsub.ts";
import type { TestDatabase } from "./db.ts";
import { ADMIN_KEY, type LogLine, startTestPlatform, type TestPlatform } from "./platform.ts";

export { ADMIN_KEY };

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

export interface TestApi {
  url: string;
  db: Database;
  boss: PgBoss;
  events: Subscriber;
  inputRoot: string;
  testDb: TestDatabase;
  platform: TestPlatform;
  /** Lines the API logged at error level or above (unexpected errors, masked to clients). */
  errorLog(): LogLine[];
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    key?: string | null,
  ): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

export interface TestApiOptions {
  maxQueryDepth?: number;
  maxBodyBytes?: number;
  /** Run the scheduler in the same process (a job pipeline without workers). */
  scheduler?: boolean;
  /** Any further config, as dotted keys. */
  config?: Record<string, unknown>;
}

const ERROR_LEVEL = 50;

export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const started = await startTestPlatform({
    roles: { api: true, scheduler: options.scheduler ?? false, worker: false },
    config: {
      ...(options.maxQueryDepth !== undefined
        ? { "server.graphqlLimits.maxDepth": options.maxQueryDepth }
        : {}),
      ...(options.maxBodyBytes !== undefined
        ? { "server.maxBodyBytes": options.maxBodyBytes }
        : {}),
      ...options.config,
    },
  });
  const { platform } = started;
  const url = platform.url as string;
  return {
    url,
    db: platform.db,
    boss: platform.boss,
    events: platform.events,
    inputRoot: started.inputRoot,
    testDb: started.testDb,
    platform: started,
    errorLog: () => started.logs.filter((line) => line.level >= ERROR_LEVEL),
    gql: (query, variables = {}, key = ADMIN_KEY) => postGraphQL(url, query, variables, key),
    close: () => started.stop(),
  };
}

export async function postGraphQL<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  key: string | null = ADMIN_KEY,
): Promise<GraphQLResponse<T>> {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphQLResponse<T>, "status">;
  return { status: response.status, ...body };
}
