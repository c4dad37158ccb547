import dns from 'node:dns/promises';
import { isIP } from 'node:net';
import type { EgressPolicy } from '@weft/engine';
import { AppError, type EventTriggerConfig } from '@weft/schema';
import type { Options } from 'amqplib';
import type { CredentialCipher } from '../crypto/credentials.js';
import type { Store } from '../store/types.js';

const CONNECT_TIMEOUT_MS = 10_000;

export interface BrokerLogin {
  username?: string;
  password?: string;
}

/**
 * The broker login of an event trigger: the `basic` credentials of the named instance (decrypted
 * here, in the server, and nowhere else), or none (the broker's default guest login).
 */
export async function brokerLogin(
  store: Store,
  cipher: CredentialCipher,
  companyId: string,
  event: EventTriggerConfig,
): Promise<BrokerLogin> {
  if (event.instance === undefined) return {};
  const instance = await store.getInstance(companyId, event.instance);
  if (instance === undefined) {
    throw new AppError('NOT_FOUND', `the event trigger names instance ${JSON.stringify(event.instance)}, which does not exist`, {
      retryable: false,
    });
  }
  const ciphertext = await store.getInstanceSecret(companyId, instance.id);
  const credentials = typeof ciphertext === 'string' ? cipher.decrypt(ciphertext, companyId) : {};
  return {
    ...(credentials.username === undefined ? {} : { username: credentials.username }),
    ...(credentials.password === undefined ? {} : { password: credentials.password }),
  };
}

/**
 * The amqplib connect options for the trigger's URL: its host resolved and checked by the egress
 * guard, then pinned, so the connection goes where the guard looked.
 */
export async function brokerConnectOptions(
  event: EventTriggerConfig,
  login: BrokerLogin,
  policy: EgressPolicy,
): Promise<{ options: Options.Connect; socketOptions: Record<string, unknown> }> {
  const url = new URL(event.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) !== 0 ? [host] : (await dns.lookup(host, { all: true })).map((a) => a.address);
  const first = addresses[0];
  if (first === undefined)
    throw new AppError('CONNECTOR_NETWORK_ERROR', `broker host ${JSON.stringify(host)} has no address`, { retryable: true });
  for (const address of addresses) policy.checkAddress(address, host);
  const tls = url.protocol === 'amqps:';
  const vhost = url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : '/';
  const options: Options.Connect = {
    protocol: tls ? 'amqps' : 'amqp',
    hostname: first,
    port: url.port === '' ? (tls ? 5671 : 5672) : Number(url.port),
    vhost,
    ...(login.username === undefined ? {} : { username: login.username }),
    ...(login.password === undefined ? {} : { password: login.password }),
    heartbeat: 30,
  };
  // TLS checks the certificate against the name, not the pinned address. The timeout keeps a
  // broker that never answers from holding up the other flows' consumers.
  return { options, socketOptions: { timeout: CONNECT_TIMEOUT_MS, ...(tls ? { servername: host } : {}) } };
}

/** The URL as it may appear in logs: never with a login. */
export function shownBrokerUrl(event: EventTriggerConfig): string {
  try {
    const url = new URL(event.url);
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return '(invalid URL)';
  }
}
