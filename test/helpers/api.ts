// An in-process API server on its own cloned database, plus a tiny GraphQL client.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { PgBoss } from "pg-boss";
import { startBoss } from "../../src/app/boss.ts";
import { connectDatabase, type Database } from "../../src/db/database.ts";
import { createSubscriber, type Subscriber } from "../../src/db/pubsub.ts";
import { ensureBootstrapAdmin } from "../../src/domain/bootstrap.ts";
import { createSubmissionWriter } from "../../src/domain/jobs/submission-writer.ts";
import { createAuthenticator } from "../../src/server/auth.ts";
import {
  type ContextFactory,
  createContextFactory,
  createGraphQLServer,
  type GraphQLServer,
} from "../../src/server/graphql.ts";
import { createHttpServer } from "../../src/server/http.ts";
import { createRateLimiter } from "../../src/server/rate-limit.ts";
import { createTestDatabase, type TestDatabase } from "./db.ts";

export const ADMIN_KEY = "test-admin-key-0123456789abcdef";

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  data?: T;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

export interface TestApi {
  url: string;
  db: Database;
  /** Present when started with `jobs: true`: pg-boss and the tenants' input folders. */
  boss?: PgBoss;
  inputRoot: string;
  events: Subscriber;
  testDb: TestDatabase;
  /** The Yoga instance behind the server, and its context factory, for serving it elsewhere. */
  yoga: GraphQLServer;
  contextFor: ContextFactory;
  /** Logged unexpected errors, for asserting on masking. */
  errorLog: Array<{ message: string; fields: Record<string, unknown> }>;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    key?: string | null,
  ): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

export interface TestApiOptions {
  rateLimitPerMinute?: number;
  maxQueryDepth?: number;
  maxBodyBytes?: number;
  /** Wire job submission: start pg-boss on the test database. */
  jobs?: boolean;
  poolSize?: number;
}

export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const testDb = await createTestDatabase();
  const db = connectDatabase(testDb.url, { poolSize: options.poolSize ?? 5 });
  const events = createSubscriber(testDb.url);
  await events.ready();
  await ensureBootstrapAdmin(db, ADMIN_KEY);
  const errorLog: TestApi["errorLog"] = [];
  const inputRoot = mkdtempSync(path.join(os.tmpdir(), "autoscorer-inputs-"));
  chmodSync(inputRoot, 0o755);
  const boss = options.jobs
    ? await startBoss({
        url: testDb.url,
        onError: (error) => errorLog.push({ message: "boss", fields: { error } }),
      })
    : undefined;
  const deps = {
    db,
    events,
    auth: createAuthenticator(db, events, () => {}),
    rateLimiter: createRateLimiter(options.rateLimitPerMinute ?? 0),
    log: (message: string, fields: Record<string, unknown>) => errorLog.push({ message, fields }),
    graphiql: false,
    maxQueryDepth: options.maxQueryDepth ?? 12,
    jobs: boss
      ? { boss, inputRoot, maxAttempts: 3, submissions: createSubmissionWriter(db.pool, boss) }
      : undefined,
  };
  const yoga = createGraphQLServer(deps);
  const contextFor = createContextFactory(deps);
  const http = createHttpServer({
    db,
    yoga,
    contextFor,
    maxBodyBytes: options.maxBodyBytes ?? 1_048_576,
  });
  await new Promise<void>((resolve) => http.server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}`;
  return {
    url,
    db,
    boss,
    inputRoot,
    events,
    testDb,
    yoga,
    contextFor,
    errorLog,
    async gql(query, variables = {}, key = ADMIN_KEY) {
      const response = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as Omit<GraphQLResponse, "status">;
      return { status: response.status, ...body } as GraphQLResponse<never>;
    },
    async close() {
      deps.auth.close();
      await http.close();
      await boss?.stop({ graceful: false });
      await events.close();
      rmSync(inputRoot, { recursive: true, force: true });
      await db.close();
      await testDb.drop();
    },
  };
}
