// Follows a subscription while the component is shown and its variables stay the same.
// `variables` null means "not yet" (e.g. until the snapshot it resumes from has loaded).
// After a dropped connection graphql-ws subscribes again with the same variables, so a
// resumed feed may repeat what was already received: handlers dedupe by cursor.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../api/errors.ts";
import type { Variables } from "../api/http.ts";
import { useSession } from "../api/session.ts";

interface GraphQLErrorLike {
  message: string;
  extensions?: { code?: unknown };
}

function toApiError(errors: readonly GraphQLErrorLike[]): ApiError {
  const first = errors[0];
  const code = typeof first?.extensions?.code === "string" ? first.extensions.code : "UNEXPECTED";
  return new ApiError(first?.message ?? "The live feed failed.", code);
}

function describe(failure: unknown): ApiError {
  if (Array.isArray(failure)) return toApiError(failure as GraphQLErrorLike[]);
  if (failure instanceof Error)
    return new ApiError(failure.message, "UNEXPECTED", {}, { cause: failure });
  // A CloseEvent: the socket closed for good (retries exhausted, or the key refused).
  const code = (failure as { code?: number } | null)?.code;
  return new ApiError(`The live connection closed${code ? ` (code ${code})` : ""}.`, "OFFLINE");
}

export function useSubscription<T>(
  query: string,
  variables: Variables | null,
  onData: (data: T) => void,
): { error: ApiError | null } {
  const { live } = useSession();
  const [error, setError] = useState<ApiError | null>(null);
  const handler = useRef(onData);
  handler.current = onData;
  const key = variables === null ? null : JSON.stringify(variables);

  // `key` stands for `variables` (a new object each render) in the dependencies.
  useEffect(() => {
    if (variables === null) return;
    setError(null);
    return live.client.subscribe<T>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors?.length) setError(toApiError(result.errors));
          else if (result.data) handler.current(result.data as T);
        },
        error: (failure: unknown) => setError(describe(failure)),
        complete: () => {},
      },
    );
  }, [live, query, key]);
  return { error };
}
