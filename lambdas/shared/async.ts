import { TimeoutError } from './errors';

/**
 * Settles with `promise`, or rejects with a `TimeoutError` after `ms`. The underlying operation is not
 * cancelled (pass an AbortSignal to it as well where it takes one); its late result is ignored.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  if (ms <= 0) {
    promise.catch(() => undefined);
    return Promise.reject(new TimeoutError(what, 0));
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** Caches the first successful result of `load`; a failure is not cached, so the next call tries again. */
export function memoizeSuccess<T>(load: () => Promise<T>): { get(): Promise<T>; reset(): void } {
  let pending: Promise<T> | undefined;
  return {
    get() {
      if (!pending) {
        const attempt = load();
        pending = attempt;
        attempt.catch(() => {
          if (pending === attempt) pending = undefined;
        });
      }
      return pending;
    },
    reset() {
      pending = undefined;
    },
  };
}
