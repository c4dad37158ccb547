import { type Static, Type } from '@sinclair/typebox';
import { AppError, isAppError } from '@weft/schema';
import type { FastifyInstance } from 'fastify';
import type { FullAuthService } from '../../auth/service.js';
import type { Config } from '../../config/index.js';
import type { Store, User } from '../../store/types.js';
import { recordAudit } from '../audit-logs/record.js';
import { notFound } from '../errors.js';
import { listEnvelope, PageQuery } from '../pagination.js';
import { listResponse, RoleSchema, UserJson, userJson } from './serialize.js';

export const PASSWORD_MAX_BYTES = 1024;

/** The fields of a new user, shared by registration and POST /api/v1/users (spec/api.md §1). */
export const NewUserFields = {
  name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'Full name.' }),
  email: Type.String({ format: 'email', maxLength: 254, description: 'Unique across the server, compared case-insensitively.' }),
  password: Type.String({
    minLength: 10,
    maxLength: PASSWORD_MAX_BYTES,
    description: 'At least 10 characters, at most 1024 bytes (UTF-8).',
  }),
};

/** maxLength counts characters; the limit is in bytes so Argon2's input stays bounded whatever the script. */
export function assertPasswordBytes(password: string): void {
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES) {
    throw new AppError('VALIDATION_FAILED', 'The given data was invalid.', {
      details: { password: [`must be at most ${PASSWORD_MAX_BYTES} bytes`] },
    });
  }
}

/** The store refuses a taken email; this names the field so clients can show it beside the input. */
export function emailTakenWithField(err: unknown): unknown {
  if (isAppError(err) && err.code === 'EMAIL_TAKEN') {
    return new AppError('EMAIL_TAKEN', 'The email is already taken.', { details: { email: ['is already taken'] } });
  }
  return err;
}

const CreateUserBody = Type.Object({ ...NewUserFields, role: RoleSchema }, { additionalProperties: false });
const UserParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const UpdateUserBody = Type.Object(
  { name: Type.Optional(NewUserFields.name), role: Type.Optional(RoleSchema) },
  { additionalProperties: false, minProperties: 1 },
);

/** The users of the caller's company; adding one needs write access, adding an administrator needs an administrator. */
export async function userRoutes(
  app: FastifyInstance,
  _config: Config,
  { store, auth }: { store: Store; auth: FullAuthService },
): Promise<void> {
  app.get(
    '/api/v1/users',
    {
      config: { access: 'read' },
      schema: {
        tags: ['users'],
        summary: 'List the users of your company',
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: true }),
        response: { 200: listResponse(UserJson) },
      },
    },
    async (request) => {
      const query = request.query as { page?: number; per_page?: number };
      const page = query.page ?? 1;
      const perPage = query.per_page ?? 25;
      // A company has few users, so the store returns them all and the page is cut here.
      const users = await store.listUsers(request.auth.companyId);
      const rows = users.slice((page - 1) * perPage, page * perPage).map(userJson);
      return listEnvelope(request, rows, users.length, page, perPage);
    },
  );

  app.post(
    '/api/v1/users',
    {
      config: { access: 'write' },
      schema: {
        tags: ['users'],
        summary: 'Add a user to your company',
        description: 'Managers and administrators add users; only administrators add administrators.',
        body: CreateUserBody,
        response: { 201: Type.Object({ data: UserJson }) },
      },
    },
    async (request, reply) => {
      const body = request.body as Static<typeof CreateUserBody>;
      if (body.role === 'administrator' && request.auth.role !== 'administrator') {
        throw new AppError('FORBIDDEN', 'Only administrators can add administrators.');
      }
      assertPasswordBytes(body.password);
      const passwordHash = await auth.hashPassword(body.password);
      let user: User;
      try {
        user = await store.createUser(request.auth.companyId, { name: body.name, email: body.email, passwordHash, role: body.role });
      } catch (err) {
        throw emailTakenWithField(err);
      }
      await recordAudit(store, request, { action: 'user.created', targetType: 'user', targetId: user.id, data: { role: user.role } });
      return reply.status(201).send({ data: userJson(user) });
    },
  );

  app.get(
    '/api/v1/users/:id',
    {
      config: { access: 'read' },
      schema: {
        tags: ['users'],
        summary: 'Get a user of your company',
        params: UserParams,
        response: { 200: Type.Object({ data: UserJson }) },
      },
    },
    async (request) => {
      const { id } = request.params as Static<typeof UserParams>;
      const user = await store.getUser(request.auth.companyId, id);
      if (!user) throw notFound('User');
      return { data: userJson(user) };
    },
  );

  app.patch(
    '/api/v1/users/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['users'],
        summary: 'Change the name or role of a user of your company',
        description:
          'Administrators only. The new role applies at once, also to tokens the user already holds. ' +
          'Demoting the last administrator of the company is refused with 409 LAST_ADMINISTRATOR.',
        params: UserParams,
        body: UpdateUserBody,
        response: { 200: Type.Object({ data: UserJson }) },
      },
    },
    async (request) => {
      const { id } = request.params as Static<typeof UserParams>;
      const body = request.body as Partial<Static<typeof UpdateUserBody>>;
      const before = await store.getUser(request.auth.companyId, id);
      if (!before) throw notFound('User');
      const user = await store.updateUser(request.auth.companyId, id, body);
      if (!user) throw notFound('User');
      // Tokens this process remembers are read again on their next use, so the new role holds at once.
      auth.forgetUser(user.id);
      const fields = Object.keys(body).filter((f) => f !== 'role' || before.role !== user.role);
      if (before.role !== user.role) {
        await recordAudit(store, request, {
          action: 'user.role_changed',
          targetType: 'user',
          targetId: user.id,
          data: { from: before.role, to: user.role, fields },
        });
      } else if (fields.length > 0) {
        await recordAudit(store, request, { action: 'user.updated', targetType: 'user', targetId: user.id, data: { fields } });
      }
      return { data: userJson(user) };
    },
  );

  app.delete(
    '/api/v1/users/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['users'],
        summary: 'Remove a user from your company',
        description:
          'Administrators only. The user can no longer log in and their tokens stop working at once. ' +
          'You cannot remove yourself (409 CANNOT_REMOVE_SELF) or the last administrator (409 LAST_ADMINISTRATOR).',
        params: UserParams,
      },
    },
    async (request, reply) => {
      const { id } = request.params as Static<typeof UserParams>;
      const user = await store.getUser(request.auth.companyId, id);
      if (!user) throw notFound('User');
      if (user.id === request.auth.userId) {
        throw new AppError('CANNOT_REMOVE_SELF', 'You cannot remove your own account; ask another administrator to do it.');
      }
      if (!(await store.deleteUser(request.auth.companyId, id))) throw notFound('User');
      auth.forgetUser(id);
      await recordAudit(store, request, { action: 'user.deleted', targetType: 'user', targetId: id, data: { role: user.role } });
      return reply.status(204).send();
    },
  );
}
