// Loads a query when the page (or its variables) change, and keeps its state: loading,
// the data, or the error. Pages merge live updates into the data with `setData`.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { Variables } from "../api/http.ts";
import { useSession } from "../api/session.ts";

export interface QueryState<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload(): void;
  setData(update: (data: T) => T): void;
}

export function useQuery<T>(query: string, variables: Variables = {}, skip = false): QueryState<T> {
  const session = useSession();
  const [data, setRaw] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(!skip);
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify(variables);
  // The latest answer wins: a slow answer to an older request must not overwrite it.
  const latest = useRef(0);

  // `key` stands for `variables` (a new object each render) in the dependencies.
  useEffect(() => {
    if (skip) return;
    const ticket = ++latest.current;
    setLoading(true);
    session.request<T>(query, variables).then(
      (result) => {
        if (ticket !== latest.current) return;
        setRaw(result);
        setError(null);
        setLoading(false);
      },
      (failure: unknown) => {
        if (ticket !== latest.current) return;
        setError(failure);
        setLoading(false);
      },
    );
  }, [session, query, key, skip, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const setData = useCallback((update: (data: T) => T) => {
    setRaw((current) => (current === null ? current : update(current)));
  }, []);
  return { data, error, loading, reload, setData };
}
