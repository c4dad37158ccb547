import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';

/** Liveness, readiness and Prometheus metrics: public, as load balancers and scrapers expect. */
export async function healthRoutes(app: FastifyInstance, _config: Config, { store, metrics }: AppDeps): Promise<void> {
  app.get('/healthz', { config: { access: false }, schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { access: false }, schema: { hide: true } }, async (_request, reply) => {
    try {
      await store.getSetting('ready_probe');
      return { status: 'ready' };
    } catch {
      return reply.status(503).send({ status: 'unavailable', reason: 'storage' });
    }
  });

  app.get('/metrics', { config: { access: false }, schema: { hide: true } }, async (_request, reply) => {
    if (!metrics) return reply.status(404).send();
    return reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
