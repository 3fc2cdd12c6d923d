/*
 * Following what a handler returned, whatever it is: a native promise directly, any other thenable
 * in a job of its own, so that no `then` can throw into, call back twice or wedge the runner.
 */

/** Reads `then` once; a getter that throws makes the caller's handler count as having thrown. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

const promiseThen = Promise.prototype.then;

/**
 * Calls back once with what `value` settles to, and returns the promise of what the callback returns. A plain native promise (what an async function
 * returns) is followed directly. Anything else (a thenable, a promise whose `then` or `constructor`
 * was replaced, a Proxy) is adopted in a job of its own, where a `then` that throws, calls back
 * synchronously or twice, or never calls back, can only reject, settle once or stay pending.
 */
export function follow<T>(
  value: PromiseLike<unknown>,
  onFulfilled: (value: unknown) => T,
  onRejected: (e: unknown) => T,
): Promise<T> {
  try {
    if (
      Object.getPrototypeOf(value) === Promise.prototype &&
      !Object.hasOwn(value, 'then') &&
      !Object.hasOwn(value, 'constructor')
    ) {
      return promiseThen.call(value, onFulfilled, onRejected) as Promise<T>;
    }
  } catch {
    // Not a promise after all (a Proxy of one): adopt it below.
  }
  return promiseThen.call(
    promiseThen.call(Promise.resolve(), () => value),
    onFulfilled,
    onRejected,
  ) as Promise<T>;
}
