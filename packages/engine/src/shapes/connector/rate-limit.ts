import type { ConnectorConfig } from '@weft/schema';
import type { ShapeContext } from '../../shape.js';
import type { ConnectorResolver, ResolvedEndpoint } from './endpoint.js';

/** An endpoint's rate limit as the exchange uses it. */
export interface Throttle {
  /** Books the next free slot of the instance's bucket and sleeps until it comes (abortably). */
  wait(): Promise<void>;
  /** Moves the bucket's next slot to `untilMs` at the earliest, for every run and process (a 429's Retry-After). */
  defer(untilMs: number): Promise<void>;
}

/**
 * The rate limit of an endpoint that has one: slots are booked in shared storage by the resolver,
 * so runs in every process together stay within the limit and together honour a Retry-After.
 */
export function rateLimiter(
  ctx: ShapeContext<ConnectorConfig>,
  resolver: ConnectorResolver,
  resolved: ResolvedEndpoint,
): Throttle | undefined {
  const limit = resolved.endpoint.rate_limit;
  if (limit === undefined || resolver.reserveSlot === undefined) return undefined;
  const reserve = resolver.reserveSlot.bind(resolver);
  const defer = resolver.deferSlot?.bind(resolver);
  const { companyId } = ctx.run;
  const { instanceId } = resolved;
  const bucket = limit.bucket ?? resolved.endpoint.name;
  return {
    async wait() {
      const now = ctx.services.now().getTime();
      const at = await reserve(companyId, instanceId, bucket, limit, now);
      const waitMs = at - now;
      if (waitMs <= 0) return;
      ctx.log({
        level: 'info',
        message: `waiting ${waitMs} ms for the rate limit of ${limit.requests} requests per ${limit.per_seconds} s (bucket "${bucket}")`,
        data: { rate_limit_wait_ms: waitMs, bucket },
      });
      await ctx.services.sleep(waitMs, ctx.signal);
    },
    async defer(untilMs) {
      await defer?.(companyId, instanceId, bucket, untilMs);
    },
  };
}
