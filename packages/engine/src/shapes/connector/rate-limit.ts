import type { ConnectorConfig } from '@weft/schema';
import type { ShapeContext } from '../../shape.js';
import type { ConnectorResolver, ResolvedEndpoint } from './endpoint.js';

/**
 * The wait before each request of an endpoint with a rate limit: the resolver books the next
 * free slot of the instance's bucket in shared storage, so runs in every process together stay
 * within the limit, and the step sleeps until its slot (abortably, so a stopped run stops waiting).
 */
export function rateLimiter(
  ctx: ShapeContext<ConnectorConfig>,
  resolver: ConnectorResolver,
  resolved: ResolvedEndpoint,
): (() => Promise<void>) | undefined {
  const limit = resolved.endpoint.rate_limit;
  if (limit === undefined || resolver.reserveSlot === undefined) return undefined;
  const reserve = resolver.reserveSlot.bind(resolver);
  const bucket = limit.bucket ?? resolved.endpoint.name;
  return async () => {
    const now = ctx.services.now().getTime();
    const at = await reserve(ctx.run.companyId, resolved.instanceId, bucket, limit, now);
    const waitMs = at - now;
    if (waitMs <= 0) return;
    ctx.log({
      level: 'info',
      message: `waiting ${waitMs} ms for the rate limit of ${limit.requests} requests per ${limit.per_seconds} s (bucket "${bucket}")`,
      data: { rate_limit_wait_ms: waitMs, bucket },
    });
    await ctx.services.sleep(waitMs, ctx.signal);
  };
}
