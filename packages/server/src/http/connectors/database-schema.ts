import { Type } from '@sinclair/typebox';
import { compileSql, type SqlDialect } from '@weft/engine';
import type { FieldErrors } from '@weft/schema';
import { addFieldError, collect } from './schema.js';

/**
 * An endpoint of a database connector (protocol postgres or mysql): a query with `:name`
 * parameters, each declared under `params` and bound by the driver (docs/connectors.md).
 */
const Param = Type.Object(
  {
    value: Type.Optional(Type.String({ maxLength: 10_000 })),
    field: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    required: Type.Optional(Type.Boolean()),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const DatabaseEndpoint = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    direction: Type.Union([Type.Literal('receive'), Type.Literal('send')]),
    sql: Type.String({ minLength: 1, maxLength: 100_000 }),
    params: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' }), Param, { maxProperties: 200 })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

/** Checks one database endpoint: its fields, and that every `:name` in the SQL is a declared parameter. */
export function checkDatabaseEndpoint(errors: FieldErrors, prefix: string, protocol: SqlDialect, endpoint: Record<string, unknown>): void {
  collect(errors, prefix, DatabaseEndpoint, endpoint);
  if (typeof endpoint.sql !== 'string') return;
  const declared = endpoint.params !== null && typeof endpoint.params === 'object' ? Object.keys(endpoint.params) : [];
  for (const name of compileSql(endpoint.sql, protocol).names) {
    if (!declared.includes(name)) addFieldError(errors, `${prefix}.sql`, `uses :${name}, which is not declared in params`);
  }
}

/** A database logs in with a username and password (`basic`) or not at all (`none`); other auth methods cannot apply. */
export function checkDatabaseAuthMethods(errors: FieldErrors, authMethods: Array<Record<string, unknown>>): void {
  authMethods.forEach((method, i) => {
    if (method.type !== 'basic' && method.type !== 'none') {
      addFieldError(errors, `auth_methods[${i}].type`, 'a database connector logs in with basic (username and password) or none');
    }
  });
}
