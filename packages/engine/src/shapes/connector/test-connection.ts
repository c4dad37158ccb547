import { randomUUID } from 'node:crypto';
import { AppError, type ConnectorConfig, isAppError } from '@weft/schema';
import type { EngineServices } from '../../services.js';
import type { ShapeContext, StepLog } from '../../shape.js';
import { authoriser } from './auth.js';
import type { ConnectorResolver } from './endpoint.js';
import { connectorShape } from './index.js';
import { Secrets } from './secrets.js';

export interface ConnectionTestResult {
  ok: boolean;
  /** The HTTP status of the last request (the token request when that failed); null when none was answered. */
  status: number | null;
  duration_ms: number;
  /** The error code and message when not ok; credentials are masked as in run logs. */
  code?: string;
  message?: string;
  /** The step log of the test, as a run would show it (secrets masked). */
  log: StepLog[];
}

/**
 * "Test connection": the instance's endpoint called once, as a connector step would call it
 * (auth, token fetch, egress guard, masking), but never more than the first page.
 */
export async function testConnection(
  services: EngineServices & { connectors: ConnectorResolver },
  /** Without an endpoint only the auth method's token is fetched (OAuth 2 client credentials). */
  input: { companyId: string; instanceId: string; endpoint?: string; timeoutSeconds?: number },
): Promise<ConnectionTestResult> {
  const base = services.connectors;
  // One request: pagination stripped, so a test never pages through a whole API.
  const connectors: ConnectorResolver = {
    ...base,
    resolve: async (companyId, instanceId, name) => {
      const resolved = await base.resolve(companyId, instanceId, name);
      const { pagination: _pagination, ...endpoint } = resolved.endpoint;
      return { ...resolved, endpoint };
    },
  };
  const log: StepLog[] = [];
  const config: ConnectorConfig = {
    instance: input.instanceId,
    endpoint: input.endpoint ?? '(auth only)',
    timeout_seconds: input.timeoutSeconds ?? 30,
  };
  const ctx: ShapeContext<ConnectorConfig> = {
    step: { id: 'test-connection', shape: 'connector', config: config as unknown as Record<string, unknown> },
    config,
    run: {
      id: `test-${randomUUID()}`,
      companyId: input.companyId,
      flowId: 'test-connection',
      versionId: 'test-connection',
      trigger: 'api',
      queuedAt: services.now().toISOString(),
    },
    variables: {},
    attempt: 1,
    itemKey: 'test-connection',
    signal: AbortSignal.timeout((input.timeoutSeconds ?? 30) * 1000),
    log: (entry) => log.push(entry),
    services: { ...services, connectors },
  };
  const started = performance.now();
  const lastStatus = () => {
    for (let i = log.length - 1; i >= 0; i--) {
      const status = log[i]?.data?.status;
      if (typeof status === 'number') return status;
    }
    return null;
  };
  try {
    if (input.endpoint === undefined) await fetchTokenOnly(ctx, base, input.companyId, input.instanceId);
    else await connectorShape.execute(ctx, []);
    return { ok: true, status: lastStatus(), duration_ms: Math.round(performance.now() - started), log };
  } catch (err) {
    const duration = Math.round(performance.now() - started);
    if (!isAppError(err))
      return { ok: false, status: lastStatus(), duration_ms: duration, code: 'INTERNAL', message: 'the test failed unexpectedly', log };
    return { ok: false, status: lastStatus(), duration_ms: duration, code: err.code, message: err.message, log };
  }
}

/** The auth method's token request alone (its log line carries the status), for instances without an endpoint to call. */
async function fetchTokenOnly(ctx: ShapeContext<ConnectorConfig>, resolver: ConnectorResolver, companyId: string, instanceId: string) {
  if (resolver.resolveAuth === undefined)
    throw new AppError('STEP_FAILED', 'this resolver cannot test an auth method alone', { retryable: false });
  const resolved = await resolver.resolveAuth(companyId, instanceId);
  if (resolved.auth.type !== 'oauth2_client_credentials') {
    throw new AppError('STEP_FAILED', `the ${resolved.auth.type} auth method has no token request to test; name an endpoint to call`, {
      retryable: false,
    });
  }
  const secrets = new Secrets();
  for (const value of Object.values(resolved.auth.credentials)) secrets.add(value);
  await authoriser(ctx, resolver, resolved, secrets).authorise({ method: 'GET', url: new URL(resolved.baseUrl), headers: {} }, true);
}
