// A page loaded on first visit (its own chunk), so the dashboard's first load carries
// only what the dashboard needs.
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ErrorNotice, Loading } from "./status.tsx";

export function lazyComponent<P extends object>(
  load: () => Promise<ComponentType<P>>,
): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  let pending: Promise<ComponentType<P>> | null = null;
  return function Lazy(props: P) {
    const [, setReady] = useState(false);
    const [error, setError] = useState<unknown>(null);
    useEffect(() => {
      if (loaded) return;
      pending ??= load();
      pending.then(
        (component) => {
          loaded = component;
          setReady(true);
        },
        (failure: unknown) => {
          pending = null; // let a later visit try again
          setError(failure);
        },
      );
    }, []);
    if (error) return <ErrorNotice error={error} retry={() => location.reload()} />;
    if (!loaded) return <Loading what="the page" />;
    const Component = loaded;
    return <Component {...props} />;
  };
}
