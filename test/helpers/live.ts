// A real graphql-ws client over a real socket, for subscription tests: what it receives is
// collected, and tests wait for what they expect with a deadline.
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";

export interface Received<T> {
  values: T[];
  errors: unknown[];
  /** Resolves when the subscription completes (or fails), with how it ended. */
  ended: Promise<"complete" | "error">;
  /** Waits until `predicate` holds for what was received, or fails after `timeoutMs`. */
  until(predicate: (values: T[]) => boolean, timeoutMs?: number): Promise<T[]>;
  stop(): void;
}

export interface LiveClient {
  client: Client;
  subscribe<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Received<T>;
  /** Resolves with the close code once the socket closes. */
  closed: Promise<number>;
  dispose(): Promise<void>;
}

export function connectLive(url: string, key: string | null): LiveClient {
  let closedWith: (code: number) => void = () => {};
  const closed = new Promise<number>((resolve) => {
    closedWith = resolve;
  });
  const client = createClient({
    url: `${url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: key === null ? {} : { authorization: `Bearer ${key}` },
    retryAttempts: 0,
    lazy: false,
    // A refused connection is what some tests expect; they read `closed` instead.
    onNonLazyError: () => {},
    on: { closed: (event) => closedWith((event as { code: number }).code) },
  });
  return {
    client,
    closed,
    subscribe<T>(query: string, variables: Record<string, unknown> = {}): Received<T> {
      const values: T[] = [];
      const errors: unknown[] = [];
      let settle: (how: "complete" | "error") => void = () => {};
      const ended = new Promise<"complete" | "error">((resolve) => {
        settle = resolve;
      });
      const stop = client.subscribe<T>(
        { query, variables },
        {
          next: (result) => {
            if (result.errors) errors.push(...result.errors);
            if (result.data) values.push(result.data as T);
          },
          error: (error) => {
            errors.push(error);
            settle("error");
          },
          complete: () => settle("complete"),
        },
      );
      return {
        values,
        errors,
        ended,
        stop,
        async until(predicate: (values: T[]) => boolean, timeoutMs = 10_000) {
          const deadline = Date.now() + timeoutMs;
          while (!predicate(values)) {
            if (Date.now() > deadline) {
              throw new Error(
                `not received in time; got ${JSON.stringify(values).slice(0, 2000)} errors ${JSON.stringify(errors)}`,
              );
            }
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          return values;
        },
      };
    },
    dispose: () => client.dispose() as Promise<void>,
  };
}
