import type { FastifyRequest } from 'fastify';
import type { AuthContext } from '../../auth/types.js';
import type { AuditActorType, Store } from '../../store/types.js';

export interface AuditEvent {
  action: string;
  targetType: string;
  targetId: string;
  outcome?: 'success' | 'failure';
  /** Small and never a secret: ids, names, field names, never values. */
  data?: Record<string, unknown>;
}

export function auditActor(auth: AuthContext): { actorType: AuditActorType; actorId: string | null } {
  return auth.kind === 'api_key' ? { actorType: 'api_key', actorId: auth.credentialId } : { actorType: 'user', actorId: auth.userId };
}

/**
 * Writes the audit entry of an authenticated request, awaited so the entry exists once the
 * client has its answer; a failed write fails the request rather than leave the action unrecorded.
 */
export async function recordAudit(store: Store, request: FastifyRequest, event: AuditEvent): Promise<void> {
  await store.appendAudit({
    companyId: request.auth.companyId,
    ...auditActor(request.auth),
    action: event.action,
    targetType: event.targetType,
    targetId: event.targetId,
    outcome: event.outcome ?? 'success',
    address: request.ip,
    data: event.data ?? null,
  });
}
