import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A CommonJS dependency loaded on its first use instead of at start. Drivers and clients that only
 * some setups need (PostgreSQL, MySQL, Redis, RabbitMQ, SMTP, OpenTelemetry) would otherwise sit in
 * the idle memory of every process, embedded mode included. Types still come from `import type`.
 */
export function lazyRequire<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= require(name) as T;
    return loaded;
  };
}
