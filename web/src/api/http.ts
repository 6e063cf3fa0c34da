// GraphQL over HTTP: one POST per query or mutation, with the session's key. A failure of
// the whole request (a refused key, a masked server error, no network) throws an ApiError;
// a field's expected failure comes back as data (see errors.ts `unwrap`).
import { ApiError, SessionRefusedError } from "./errors.ts";

export type Variables = Record<string, unknown>;

interface ResponseBody<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: unknown; details?: unknown } }>;
}

export const GRAPHQL_PATH = "/graphql";

export async function postGraphQL<T>(
  key: string,
  query: string,
  variables: Variables = {},
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(GRAPHQL_PATH, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/graphql-response+json, application/json",
        authorization: `Bearer ${key}`,
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new ApiError(
      "The server could not be reached; check the connection.",
      "NETWORK",
      {},
      {
        cause: error,
      },
    );
  }
  let body: ResponseBody<T>;
  try {
    body = (await response.json()) as ResponseBody<T>;
  } catch (error) {
    throw new ApiError(
      `The server answered ${response.status} without a GraphQL body.`,
      "BAD_RESPONSE",
      {},
      {
        cause: error,
      },
    );
  }
  const first = body.errors?.[0];
  if (first) {
    const code = typeof first.extensions?.code === "string" ? first.extensions.code : "UNEXPECTED";
    if (code === "UNAUTHENTICATED" || response.status === 401) {
      throw new SessionRefusedError(first.message, code);
    }
    throw new ApiError(first.message, code, { details: first.extensions?.details });
  }
  if (!body.data) throw new ApiError("The server sent no data.", "BAD_RESPONSE");
  return body.data;
}
