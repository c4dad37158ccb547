import { createEgressPolicy } from '@weft/engine';
import { describe, expect, it } from 'vitest';
import { connectionTarget, type Lookup, systemLookup } from './connection-target.js';

const open = createEgressPolicy(['127.0.0.1', '10.0.0.0/8']);
const closed = createEgressPolicy([]);
const lookupTo =
  (...addresses: string[]): Lookup =>
  async () =>
    addresses;

describe('connectionTarget', () => {
  it('reads host, default port and database, and pins the checked address', async () => {
    const target = await connectionTarget(
      { key: 'i', protocol: 'postgres', url: 'postgres://db.internal/warehouse', username: 'app', password: 'pw' },
      open,
      lookupTo('10.1.2.3'),
    );
    expect(target).toEqual({
      protocol: 'postgres',
      host: 'db.internal',
      address: '10.1.2.3',
      port: 5432,
      database: 'warehouse',
      user: 'app',
      password: 'pw',
      tls: false,
    });
  });

  it('turns on TLS for sslmode=require and takes the MySQL default port', async () => {
    const target = await connectionTarget(
      { key: 'i', protocol: 'mysql', url: 'mariadb://10.0.0.5/shop?sslmode=require' },
      open,
      lookupTo(),
    );
    expect(target).toMatchObject({ address: '10.0.0.5', port: 3306, database: 'shop', tls: true });
  });

  it('refuses a password in the URL, so it never sits in plain text in instance variables', async () => {
    await expect(
      connectionTarget({ key: 'i', protocol: 'postgres', url: 'postgres://u:secret@10.0.0.5/db' }, open, lookupTo()),
    ).rejects.toThrow("the database URL holds a password; put it in the instance's credentials (auth method basic) instead");
  });

  it('refuses a URL of the other protocol', async () => {
    await expect(connectionTarget({ key: 'i', protocol: 'postgres', url: 'mysql://10.0.0.5/db' }, open, lookupTo())).rejects.toMatchObject({
      code: 'STEP_FAILED',
      message: expect.stringContaining('must look like postgres://host:port/database'),
    });
  });

  it('refuses a name that resolves to a loopback address unless allowed, checking every answer', async () => {
    const url = 'postgres://looks-public.example/db';
    await expect(
      connectionTarget({ key: 'i', protocol: 'postgres', url }, closed, lookupTo('93.184.216.34', '127.0.0.1')),
    ).rejects.toMatchObject({
      code: 'EGRESS_DENIED',
    });
    await expect(
      connectionTarget({ key: 'i', protocol: 'postgres', url: 'postgres://[::ffff:127.0.0.1]/db' }, closed, lookupTo()),
    ).rejects.toMatchObject({
      code: 'EGRESS_DENIED',
    });
    await expect(
      connectionTarget({ key: 'i', protocol: 'postgres', url: 'postgres://169.254.169.254/db' }, open, lookupTo()),
    ).rejects.toMatchObject({
      code: 'EGRESS_DENIED',
    });
  });

  it('reports a host that does not resolve as a retryable network error', async () => {
    const failing: Lookup = async () => {
      throw new Error('getaddrinfo ENOTFOUND nowhere.invalid');
    };
    await expect(connectionTarget({ key: 'i', protocol: 'mysql', url: 'mysql://nowhere.invalid/db' }, open, failing)).rejects.toMatchObject(
      {
        code: 'CONNECTOR_NETWORK_ERROR',
        retryable: true,
      },
    );
  });
});

describe('connectionTarget with the system resolver', () => {
  // Database URLs are not http(s): WHATWG URL leaves their numeric hosts as written, so the
  // resolver turns them into addresses, and the guard judges the address.
  it.each(['2130706433', '0x7f000001', '0177.0.0.1', '127.1', 'localhost', '[::ffff:127.0.0.1]', '[::1]', '0.0.0.0'])(
    'refuses the loopback spelling %s',
    async (host) => {
      await expect(
        connectionTarget({ key: 'i', protocol: 'postgres', url: `postgres://${host}:5432/test` }, closed, systemLookup),
      ).rejects.toMatchObject({
        code: 'EGRESS_DENIED',
      });
    },
  );
});
