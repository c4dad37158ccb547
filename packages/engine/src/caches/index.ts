import { AppError, CACHE_KEY_MAX_LENGTH, type CacheScope } from '@weft/schema';
import type { CachePort, CacheTarget } from '../data-ports.js';
import type { Payload } from '../payload.js';
import type { ShapeContext } from '../shape.js';
import { renderTemplate, runTemplateScope } from '../templates/index.js';

/** The caches port, or a step failure that says the server has none (never the case in a full server). */
export function cachePort(ctx: ShapeContext<unknown>, shape: string): CachePort {
  const port = ctx.services.caches;
  if (port === undefined) throw new AppError('STEP_FAILED', `${shape}: caches are not available in this engine`, { retryable: false });
  return port;
}

/** The cache `name` in `scope` as seen from this run: its run, its flow, or the company. */
export function cacheTarget(ctx: ShapeContext<unknown>, name: string, scope: CacheScope | undefined): CacheTarget {
  const s = scope ?? 'flow';
  const scopeId = s === 'run' ? ctx.run.id : s === 'flow' ? ctx.run.flowId : '';
  return { companyId: ctx.run.companyId, name, scope: s, scopeId };
}

/**
 * A key template rendered for one payload. `allowEmpty` for key prefixes; a key must otherwise
 * hold 1-255 characters, and a template that renders nothing (a missing payload field) says so.
 */
export function renderCacheKey(
  template: string,
  payload: Payload | undefined,
  ctx: ShapeContext<unknown>,
  shape: string,
  position: string,
  allowEmpty = false,
): string {
  const key = renderTemplate(template, {
    ...(payload !== undefined && { payload: () => payload.value() }),
    meta: payload?.meta ?? {},
    flow: ctx.variables,
    run: runTemplateScope(ctx.run),
  });
  if (key === '' && !allowEmpty) {
    throw new AppError(
      'TEMPLATE_ERROR',
      `${shape}: key ${JSON.stringify(template)} renders empty for ${position}; check the fields it reads`,
      {
        retryable: false,
      },
    );
  }
  if (key.length > CACHE_KEY_MAX_LENGTH) {
    throw new AppError(
      'TEMPLATE_ERROR',
      `${shape}: key for ${position} is ${key.length} characters long, over the limit of ${CACHE_KEY_MAX_LENGTH}; use shorter values in it`,
      { retryable: false },
    );
  }
  return key;
}
