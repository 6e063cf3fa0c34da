// A button's mutation: busy while it runs, its typed error kept for display, and the
// success member of its result union handed to `done`.
import { useState } from "preact/hooks";
import { ApiError, type ErrorResult, messageOf, unwrap } from "../api/errors.ts";
import type { Variables } from "../api/http.ts";
import { useSession } from "../api/session.ts";

export interface Action {
  busy: boolean;
  error: ApiError | null;
  run<T extends { __typename: string }>(
    mutation: string,
    field: string,
    variables: Variables,
    done?: (value: T) => void,
  ): Promise<T | null>;
  clear(): void;
}

export function useAction(): Action {
  const session = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  return {
    busy,
    error,
    clear: () => setError(null),
    async run<T extends { __typename: string }>(
      mutation: string,
      field: string,
      variables: Variables,
      done?: (value: T) => void,
    ) {
      setBusy(true);
      setError(null);
      try {
        const data = await session.request<Record<string, T | ErrorResult>>(mutation, variables);
        const value = unwrap(data[field] as T | ErrorResult);
        done?.(value);
        return value;
      } catch (failure) {
        setError(
          failure instanceof ApiError ? failure : new ApiError(messageOf(failure), "UNEXPECTED"),
        );
        return null;
      } finally {
        setBusy(false);
      }
    },
  };
}
