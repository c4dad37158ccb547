import dns from 'node:dns/promises';
import { isIP } from 'node:net';
import type { DatabaseTarget, EgressPolicy } from '@weft/engine';
import { AppError } from '@weft/schema';

/** Where and how to connect, with the host already resolved and checked by the egress guard. */
export interface ConnectionTarget {
  protocol: DatabaseTarget['protocol'];
  /** The host as written, for messages and TLS server names. */
  host: string;
  /** The vetted address the driver connects to: pinned, so a later DNS answer cannot redirect the pool. */
  address: string;
  port: number;
  database: string;
  user?: string;
  password?: string;
  tls: boolean;
}

const DEFAULT_PORTS = { postgres: 5432, mysql: 3306 } as const;
const SCHEMES = { postgres: ['postgres:', 'postgresql:'], mysql: ['mysql:', 'mariadb:'] } as const;

export type Lookup = (host: string) => Promise<string[]>;

export const systemLookup: Lookup = async (host) => (await dns.lookup(host, { all: true })).map((a) => a.address);

/**
 * Parses the instance's connection URL and resolves its host through the egress guard: every
 * address the name resolves to must be allowed (loopback and private ranges only when
 * WEFT_EGRESS_ALLOW names them), as for HTTP connectors.
 */
export async function connectionTarget(target: DatabaseTarget, policy: EgressPolicy, lookup: Lookup): Promise<ConnectionTarget> {
  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    throw new AppError('STEP_FAILED', `the database URL ${JSON.stringify(redact(target.url))} is not a valid URL`, { retryable: false });
  }
  const schemes: readonly string[] = SCHEMES[target.protocol];
  if (!schemes.includes(url.protocol) || url.hostname === '') {
    throw new AppError(
      'STEP_FAILED',
      `the database URL must look like ${schemes[0]}//host:port/database, got ${JSON.stringify(redact(target.url))}`,
      {
        retryable: false,
      },
    );
  }
  if (url.password !== '') {
    throw new AppError(
      'STEP_FAILED',
      "the database URL holds a password; put it in the instance's credentials (auth method basic) instead",
      {
        retryable: false,
      },
    );
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? DEFAULT_PORTS[target.protocol] : Number(url.port);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  const mode = (url.searchParams.get('sslmode') ?? url.searchParams.get('ssl') ?? '').toLowerCase();
  const tls = ['require', 'verify-full', 'verify-ca', 'true', '1'].includes(mode);

  let addresses: string[];
  if (isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = await lookup(host);
    } catch (err) {
      throw new AppError('CONNECTOR_NETWORK_ERROR', `could not resolve database host ${JSON.stringify(host)}: ${(err as Error).message}`, {
        retryable: true,
      });
    }
  }
  const first = addresses[0];
  if (first === undefined)
    throw new AppError('CONNECTOR_NETWORK_ERROR', `database host ${JSON.stringify(host)} has no address`, { retryable: true });
  for (const address of addresses) policy.checkAddress(address, host);

  const user = target.username ?? (url.username === '' ? undefined : decodeURIComponent(url.username));
  return {
    protocol: target.protocol,
    host,
    address: first,
    port,
    database,
    ...(user === undefined ? {} : { user }),
    ...(target.password === undefined ? {} : { password: target.password }),
    tls,
  };
}

function redact(raw: string): string {
  return raw.replace(/\/\/([^/@]*)@/, '//***@');
}
