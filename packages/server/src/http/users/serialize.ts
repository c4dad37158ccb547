import { type TSchema, Type } from '@sinclair/typebox';
import { ROLES, type Role } from '@weft/schema';
import type { Company, User } from '../../store/types.js';

export const RoleSchema = Type.Unsafe<Role>({ type: 'string', enum: [...ROLES] });

/** Response schemas double as an allow-list: the serializer drops any field not named here, password hashes included. */
export const UserJson = Type.Object({
  id: Type.String(),
  name: Type.String(),
  email: Type.String(),
  role: RoleSchema,
  company_id: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
});

export const CompanyJson = Type.Object({
  id: Type.String(),
  name: Type.String(),
  created_at: Type.String({ format: 'date-time' }),
});

export function userJson(user: User) {
  return { id: user.id, name: user.name, email: user.email, role: user.role, company_id: user.companyId, created_at: user.createdAt };
}

export function companyJson(company: Company) {
  return { id: company.id, name: company.name, created_at: company.createdAt };
}

/** The list envelope of spec/api.md §5 as a response schema; belongs in pagination.ts once others use it. */
export function listResponse<T extends TSchema>(item: T) {
  const link = Type.Union([Type.String(), Type.Null()]);
  return Type.Object({
    data: Type.Array(item),
    meta: Type.Object({ current_page: Type.Integer(), per_page: Type.Integer(), total: Type.Integer(), last_page: Type.Integer() }),
    links: Type.Object({ first: Type.String(), last: Type.String(), prev: link, next: link }),
  });
}
