import { Type } from '@sinclair/typebox';
import { AppError } from '@weft/schema';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';
import type { NotificationGroup } from '../../store/notification-types.js';
import { notFound } from '../errors.js';
import { listEnvelope, PageQuery } from '../pagination.js';

/** At most this many members a group; a mailing list belongs in the mail system, not here. */
export const GROUP_MAX_EMAILS = 100;

// Deliberately plain: one @, no spaces, a dot in the domain. The SMTP server has the last word.
const EMAIL = /^[^\s@"<>,;]+@[^\s@"<>,;]+\.[^\s@"<>,;]+$/;

const GroupId = Type.Object({ groupId: Type.String({ minLength: 1, maxLength: 64 }) });
const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });
const Emails = Type.Array(Type.String({ maxLength: 254 }), { maxItems: GROUP_MAX_EMAILS });
const CreateBody = Type.Object({ name: Name, emails: Emails }, { additionalProperties: false });
const PatchBody = Type.Object({ name: Type.Optional(Name), emails: Type.Optional(Emails) }, { additionalProperties: false });

export function groupJson(group: NotificationGroup) {
  return { id: group.id, name: group.name, emails: group.emails, created_at: group.createdAt, updated_at: group.updatedAt };
}

/** Checks each address and drops repeats (case-insensitive), answering every bad one with its index. */
export function checkEmails(emails: readonly string[]): string[] {
  const details: Record<string, string[]> = {};
  const seen = new Set<string>();
  const kept: string[] = [];
  emails.forEach((raw, index) => {
    const email = raw.trim();
    if (!EMAIL.test(email)) {
      details[`emails[${index}]`] = [`must be an email address like ops@example.com, got "${raw}"`];
      return;
    }
    const key = email.toLowerCase();
    if (seen.has(key)) return;
    seen.add(key);
    kept.push(email);
  });
  if (Object.keys(details).length > 0) throw new AppError('VALIDATION_FAILED', 'The given data was invalid.', { details });
  return kept;
}

/**
 * Notification groups (`/api/v1/notification-groups`): named lists of email addresses that
 * `notify` steps (channel email/both) and a trigger's `notify_on_failure` reach by name.
 */
export async function notificationGroupRoutes(app: FastifyInstance, _config: Config, { store }: AppDeps): Promise<void> {
  const tags = ['notification-groups'];

  app.get(
    '/api/v1/notification-groups',
    { config: { access: 'read' }, schema: { tags, summary: 'List notification groups', querystring: Type.Object({ ...PageQuery }) } },
    async (request) => {
      const { page = 1, per_page: perPage = 25 } = request.query as { page?: number; per_page?: number };
      const result = await store.listNotificationGroups(request.auth.companyId, { page, perPage });
      return listEnvelope(request, result.rows.map(groupJson), result.total, page, perPage);
    },
  );

  app.post(
    '/api/v1/notification-groups',
    { config: { access: 'write' }, schema: { tags, summary: 'Create a notification group', body: CreateBody } },
    async (request, reply) => {
      const body = request.body as { name: string; emails: string[] };
      const group = await store.createNotificationGroup(request.auth.companyId, {
        name: body.name.trim(),
        emails: checkEmails(body.emails),
      });
      reply.status(201);
      return { data: groupJson(group) };
    },
  );

  app.get(
    '/api/v1/notification-groups/:groupId',
    { config: { access: 'read' }, schema: { tags, summary: 'Get a notification group', params: GroupId } },
    async (request) => {
      const { groupId } = request.params as { groupId: string };
      const group = await store.getNotificationGroup(request.auth.companyId, groupId);
      if (!group) throw notFound('Notification group');
      return { data: groupJson(group) };
    },
  );

  app.patch(
    '/api/v1/notification-groups/:groupId',
    {
      config: { access: 'write' },
      schema: { tags, summary: 'Rename a notification group or replace its members', params: GroupId, body: PatchBody },
    },
    async (request) => {
      const { groupId } = request.params as { groupId: string };
      const body = request.body as { name?: string; emails?: string[] };
      const group = await store.updateNotificationGroup(request.auth.companyId, groupId, {
        ...(body.name !== undefined && { name: body.name.trim() }),
        ...(body.emails !== undefined && { emails: checkEmails(body.emails) }),
      });
      if (!group) throw notFound('Notification group');
      return { data: groupJson(group) };
    },
  );

  app.delete(
    '/api/v1/notification-groups/:groupId',
    { config: { access: 'write' }, schema: { tags, summary: 'Delete a notification group', params: GroupId } },
    async (request, reply) => {
      const { groupId } = request.params as { groupId: string };
      if (!(await store.deleteNotificationGroup(request.auth.companyId, groupId))) throw notFound('Notification group');
      reply.status(204);
      return null;
    },
  );
}
