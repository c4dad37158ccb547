import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FlowDefinition, TriggerConfig } from '@weft/schema';

/** The config of the definition's trigger step; {} when it has none (validation makes that rare). */
export function triggerConfigOf(definition: FlowDefinition): TriggerConfig {
  const step = definition.steps.find((s) => s.shape === 'trigger');
  const config = step?.config;
  return config !== null && typeof config === 'object' ? (config as TriggerConfig) : {};
}

/** The trigger's cron strings; anything not a string is left out rather than trusted. */
export function schedulesOf(definition: FlowDefinition): string[] {
  const schedules = triggerConfigOf(definition).schedules;
  return Array.isArray(schedules) ? schedules.filter((s): s is string => typeof s === 'string') : [];
}

const SECRET_PREFIX = 'whs_';

/** A new webhook secret: the plaintext for the caller, the hash for the store. */
export function newWebhookSecret(): { secret: string; hash: string } {
  const secret = `${SECRET_PREFIX}${randomBytes(24).toString('base64url')}`;
  return { secret, hash: hashWebhookSecret(secret) };
}

export function hashWebhookSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Both are sha256 hex, so equal lengths unless one is malformed; the compare leaks nothing about content. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
