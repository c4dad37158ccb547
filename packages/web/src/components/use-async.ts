import { useCallback, useEffect, useRef, useState } from 'react';

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/**
 * Loads `load()` when `deps` change, and again every `pollMs` while given; a slow answer that
 * arrives after a newer one is dropped, so the page never goes back in time.
 */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[], pollMs?: number): AsyncState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const seq = useRef(0);
  // The latest load function; the caller's deps, not the function's identity, decide when to reload.
  const latest = useRef(load);
  latest.current = load;
  const key = JSON.stringify(deps);
  const run = useCallback(() => {
    const mine = ++seq.current;
    latest
      .current()
      .then((value) => {
        if (mine !== seq.current) return;
        setData(value);
        setError(null);
      })
      .catch((err: unknown) => {
        if (mine === seq.current) setError(err);
      })
      .finally(() => {
        if (mine === seq.current) setLoading(false);
      });
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: key stands for the caller's deps
  useEffect(() => {
    setLoading(true);
    run();
    if (!pollMs) return;
    const timer = setInterval(run, pollMs);
    return () => clearInterval(timer);
  }, [key, run, pollMs]);

  return { data, error, loading, reload: run };
}
