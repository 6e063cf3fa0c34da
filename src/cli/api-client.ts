// The thin clients' view of a running platform: where it is and which key to use (flags,
// else AUTOSCORER_URL and AUTOSCORER_API_KEY), GraphQL over HTTP for requests and over
// WebSocket for subscriptions. Failures come back as the contract's error JSON.
import { createClient } from "graphql-ws";
import WebSocket from "ws";

export interface ApiTarget {
  url: string;
  key: string;
}

export const TARGET_OPTIONS = {
  url: { type: "string" },
  key: { type: "string" },
} as const;

export const TARGET_USAGE = `  --url URL   the platform (default: $AUTOSCORER_URL, else http://localhost:4000)
  --key KEY   an API key (default: $AUTOSCORER_API_KEY)`;

/** Where to go, or an error message for the user. */
export function targetOf(values: { url?: string; key?: string }): ApiTarget | string {
  const url = (values.url ?? process.env.AUTOSCORER_URL ?? "http://localhost:4000").replace(
    /\/(graphql)?$/,
    "",
  );
  const key = values.key ?? process.env.AUTOSCORER_API_KEY;
  if (!key) return "an API key is needed: --key or AUTOSCORER_API_KEY";
  return { url, key };
}

/** A contract error, as the CLI prints it. */
export interface CliError {
  code: string;
  message: string;
  details?: unknown;
}

export function printError(error: CliError): void {
  process.stdout.write(`${JSON.stringify({ error })}\n`);
}

/** One GraphQL request; resolves with its data or the first error as a CliError. */
export async function request<T>(
  target: ApiTarget,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ data: T } | { error: CliError }> {
  let response: Response;
  try {
    response = await fetch(`${target.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${target.key}` },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    return {
      error: { code: "UNAVAILABLE", message: `cannot reach ${target.url}: ${String(error)}` },
    };
  }
  const body = (await response.json().catch(() => ({}))) as {
    data?: T;
    errors?: Array<{ message: string; extensions?: { code?: string; details?: unknown } }>;
  };
  const first = body.errors?.[0];
  if (first || !body.data) {
    return {
      error: {
        code: first?.extensions?.code ?? `HTTP_${response.status}`,
        message: first?.message ?? "no data in the answer",
        details: first?.extensions?.details,
      },
    };
  }
  return { data: body.data };
}

/** A WebSocket client for subscriptions; `closed` says how the socket ended. */
export function liveClient(target: ApiTarget) {
  let closedWith: (code: number, reason: string) => void = () => {};
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    closedWith = (code, reason) => resolve({ code, reason });
  });
  const client = createClient({
    url: `${target.url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${target.key}` },
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => {},
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        closedWith(code, reason);
      },
    },
  });
  return { client, closed };
}
