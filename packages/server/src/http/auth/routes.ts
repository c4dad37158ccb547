import { type Static, Type } from '@sinclair/typebox';
import { AppError } from '@weft/schema';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FullAuthService } from '../../auth/service.js';
import type { Config } from '../../config/index.js';
import type { Store } from '../../store/types.js';
import { assertPasswordBytes, emailTakenWithField, NewUserFields, PASSWORD_MAX_BYTES } from '../users/routes.js';
import { CompanyJson, companyJson, RoleSchema, UserJson, userJson } from '../users/serialize.js';

const LOGGED_IN = 'You have successfully logged in.';

const RegisterBody = Type.Object(
  {
    company: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'The company (tenant) to create.' }),
    ...NewUserFields,
  },
  { additionalProperties: false },
);

// No email format and no minimum password length here: any malformed guess gets the same 401 as a
// wrong one would, instead of a 422 that describes the accounts' rules.
const LoginPassword = Type.String({ maxLength: PASSWORD_MAX_BYTES });
const LoginBody = Type.Object({ email: Type.String({ maxLength: 254 }), password: LoginPassword }, { additionalProperties: false });
const FabricLoginBody = Type.Object(
  { username: Type.String({ maxLength: 254, description: 'The account email.' }), password: LoginPassword },
  { additionalProperties: false },
);

const LoginResponse = Type.Object({
  message: Type.String(),
  token: Type.String({ description: 'Send as `Authorization: Bearer <token>`.' }),
  expires_in: Type.Integer({ description: 'Seconds until the token expires.' }),
});

const MeResponse = Type.Object({
  data: Type.Object({
    user: Type.Union([UserJson, Type.Null()], { description: 'Null when the caller is an API key.' }),
    company: CompanyJson,
    role: RoleSchema,
    credential: Type.Union([Type.Literal('token'), Type.Literal('api_key')]),
  }),
});

/** Registration, login (with the Patchworks alias), logout and the caller's identity (spec/api.md §1). */
export async function authRoutes(
  app: FastifyInstance,
  config: Config,
  { store, auth }: { store: Store; auth: FullAuthService },
): Promise<void> {
  app.post(
    '/api/v1/register',
    {
      config: { access: false },
      // Closed signup answers 403 whatever the body, so it runs before validation.
      preValidation: async () => {
        if (config.signup === 'closed') throw new AppError('SIGNUP_CLOSED', 'Registration is closed on this server.');
      },
      schema: {
        tags: ['auth'],
        summary: 'Create a company and its first user',
        description: 'The user becomes the company administrator. Refused with 403 when the server setting `signup` is `closed`.',
        security: [],
        body: RegisterBody,
        response: { 201: Type.Object({ data: Type.Object({ company: CompanyJson, user: UserJson }) }) },
      },
    },
    async (request, reply) => {
      const body = request.body as Static<typeof RegisterBody>;
      assertPasswordBytes(body.password);
      const passwordHash = await auth.hashPassword(body.password);
      try {
        const created = await store.createCompanyWithAdmin({ companyName: body.company, name: body.name, email: body.email, passwordHash });
        return reply.status(201).send({ data: { company: companyJson(created.company), user: userJson(created.user) } });
      } catch (err) {
        throw emailTakenWithField(err);
      }
    },
  );

  const login = async (request: FastifyRequest, email: string, password: string) => {
    const issued = await auth.login({ email, password, address: request.ip });
    return { message: LOGGED_IN, token: issued.token, expires_in: issued.expiresIn };
  };

  app.post(
    '/api/v1/login',
    {
      config: { access: false },
      schema: {
        tags: ['auth'],
        summary: 'Log in for a bearer token',
        description: `A wrong email and a wrong password get the same 401. Repeated failures are slowed, then refused with 429 and Retry-After.`,
        security: [],
        body: LoginBody,
        response: { 200: LoginResponse },
      },
    },
    async (request) => {
      const body = request.body as Static<typeof LoginBody>;
      return login(request, body.email, body.password);
    },
  );

  app.post(
    '/fabric/api/login',
    {
      config: { access: false },
      schema: {
        tags: ['auth'],
        summary: 'Log in (Patchworks-compatible alias)',
        description: 'The same as POST /api/v1/login with `username` for the email, for clients written against Patchworks.',
        security: [],
        body: FabricLoginBody,
        response: { 200: LoginResponse },
      },
    },
    async (request) => {
      const body = request.body as Static<typeof FabricLoginBody>;
      return login(request, body.username, body.password);
    },
  );

  app.post(
    '/api/v1/logout',
    {
      config: { access: 'read' },
      schema: {
        tags: ['auth'],
        summary: 'Revoke the presented token',
        description: 'Only login tokens log out; an API key is refused with 422 and is revoked through /api/v1/api-keys/{id}/revoke.',
        response: { 200: Type.Object({ message: Type.String() }) },
      },
    },
    async (request) => {
      await auth.logout(request.auth);
      return { message: 'You have successfully logged out.' };
    },
  );

  app.get(
    '/api/v1/me',
    {
      config: { access: 'read' },
      schema: { tags: ['auth'], summary: 'Who is calling: the user (or API key), the company and the role', response: { 200: MeResponse } },
    },
    async (request) => {
      const { companyId, userId, role, kind } = request.auth;
      const [company, user] = await Promise.all([
        store.getCompany(companyId),
        userId === null ? undefined : store.getUser(companyId, userId),
      ]);
      // The credential was valid a moment ago; a company that is gone since is the same as a bad credential.
      if (!company) throw new AppError('UNAUTHENTICATED', 'Unauthenticated.');
      return { data: { user: user ? userJson(user) : null, company: companyJson(company), role, credential: kind } };
    },
  );
}
