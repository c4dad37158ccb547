import { compileSql, type DatabaseTarget } from '@weft/engine';
import { afterEach, describe, expect, it } from 'vitest';
import { CANARY } from '../test-support/canary.js';
import { createDatabaseClient } from './database-client.js';

const options = { timeoutMs: 5000 };
const mariadb = (password: string): DatabaseTarget => ({
  key: 'instance-1',
  protocol: 'mysql',
  url: 'mysql://127.0.0.1:3306/test',
  username: 'root',
  password,
});

describe('the databases port', () => {
  let client = createDatabaseClient({ allow: ['127.0.0.1'] });
  afterEach(async () => {
    await client.close();
    client = createDatabaseClient({ allow: ['127.0.0.1'] });
  });

  it('opens a fresh pool when the instance credentials change', async () => {
    const select = { text: 'SELECT 1 AS one', values: [] };
    const refused = await client.query(mariadb(`wrong-password-${CANARY}`), select, options).catch((err: unknown) => err);
    expect(refused).toMatchObject({
      code: 'DATABASE_QUERY_FAILED',
      message: expect.stringMatching(/refused the login: Access denied for user 'root'/),
    });
    expect(String((refused as Error).message)).not.toContain(`wrong-password-${CANARY}`);
    // The same instance with the right password: the pool of the old login is not reused.
    expect(await client.query(mariadb(''), select, options)).toEqual([{ one: 1 }]);
  });

  it('binds PostgreSQL values by position, a repeated name bound once', async () => {
    const compiled = compileSql("SELECT :a::text AS a, :b::int + 1 AS b, :a::text = 'x' AS same", 'postgres');
    const values = compiled.names.map((n) => ({ a: "x'; SELECT 1; --", b: 41 })[n as 'a' | 'b']);
    const rows = await client.query(
      { key: 'pg', protocol: 'postgres', url: 'postgres://127.0.0.1:5432/test', username: 'postgres' },
      { text: compiled.text, values },
      options,
    );
    expect(rows).toEqual([{ a: "x'; SELECT 1; --", b: 42, same: false }]);
  });

  it('returns binary columns as base64', async () => {
    const rows = await client.query(
      { key: 'pg', protocol: 'postgres', url: 'postgres://127.0.0.1:5432/test', username: 'postgres' },
      { text: "SELECT '\\x0102ff'::bytea AS data", values: [] },
      options,
    );
    expect(rows).toEqual([{ data: Buffer.from([1, 2, 255]).toString('base64') }]);
  });

  it('refuses to run after it was closed', async () => {
    await client.close();
    await expect(client.query(mariadb(''), { text: 'SELECT 1', values: [] }, options)).rejects.toThrow('the database client is closed');
  });
});
