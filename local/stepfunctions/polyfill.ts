/** What `Promise.withResolvers` returns (ES2024; this project's lib is ES2023). */
interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

type PromiseWithResolvers = PromiseConstructor & { withResolvers?: <T>() => Resolvers<T> };

/**
 * aws-local-stepfunctions 3.0.0 calls `Promise.withResolvers` in every Task state; Node 20 lacks
 * it (Node 22 has it). Installed once, before the engine is imported, and only when missing, so a
 * newer Node keeps its own.
 */
export function installPromiseWithResolvers(): void {
  const promise = Promise as PromiseWithResolvers;
  if (typeof promise.withResolvers === 'function') return;
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>(): Resolvers<T> {
      let resolve: Resolvers<T>['resolve'] = () => undefined;
      let reject: Resolvers<T>['reject'] = () => undefined;
      const created = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise: created, resolve, reject };
    },
  });
}

installPromiseWithResolvers();
