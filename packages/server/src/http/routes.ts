import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app.js';
import type { Config } from '../config/index.js';
import { apiKeyRoutes } from './api-keys/routes.js';
import { auditLogRoutes } from './audit-logs/routes.js';
import { callbackRoutes } from './callbacks/routes.js';
import { authRoutes } from './auth/routes.js';
import { connectorImportRoutes } from './connectors/import-routes.js';
import { connectorRoutes } from './connectors/routes.js';
import { flowRoutes } from './flows/routes.js';
import { healthRoutes } from './health/routes.js';
import { instanceRoutes } from './instances/routes.js';
import { lookupTableRoutes } from './lookup-tables/routes.js';
import { mapRoutes } from './map/routes.js';
import { notificationGroupRoutes } from './notification-groups/routes.js';
import { runLinkRoutes } from './run-links/routes.js';
import { runRoutes } from './runs/routes.js';
import { scheduleRoutes } from './schedules/routes.js';
import { scriptRoutes } from './scripts/routes.js';
import { startRoutes } from './start/routes.js';
import { userRoutes } from './users/routes.js';
import { versionRoutes } from './versions/routes.js';
import { webRoutes } from './web/routes.js';
import { webhookRoutes } from './webhooks/routes.js';

/** Every resource's routes; one folder a resource. */
export async function registerRoutes(app: FastifyInstance, config: Config, deps: AppDeps): Promise<void> {
  await healthRoutes(app, config, deps);
  await authRoutes(app, config, deps);
  await userRoutes(app, config, deps);
  await apiKeyRoutes(app, config, deps);
  await flowRoutes(app, config, deps);
  await versionRoutes(app, config, deps);
  await startRoutes(app, config, deps);
  await scheduleRoutes(app, config, deps);
  await webhookRoutes(app, config, deps);
  await callbackRoutes(app, config, deps);
  await runRoutes(app, config, deps);
  await runLinkRoutes(app, config, deps);
  await notificationGroupRoutes(app, config, deps);
  await mapRoutes(app, config, deps);
  await connectorImportRoutes(app, config, deps);
  await connectorRoutes(app, config, deps);
  await instanceRoutes(app, config, deps);
  await scriptRoutes(app, config, deps);
  await lookupTableRoutes(app, config, deps);
  await auditLogRoutes(app, config, deps);
  await webRoutes(app, config, deps);
}
