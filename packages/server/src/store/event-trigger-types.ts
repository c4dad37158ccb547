import type { EventTriggerConfig, FlowDefinition } from '@weft/schema';
import { triggerConfigOf } from './trigger-config.js';

/** A deployed, enabled flow whose trigger consumes a broker queue. */
export interface EventFlow {
  companyId: string;
  flowId: string;
  versionId: string;
  priority: number;
  event: EventTriggerConfig;
}

export interface EventTriggerStoreMethods {
  /** Every deployed, enabled flow whose deployed version has an enabled `event` trigger; the consumers poll it. */
  listEventFlows(): Promise<EventFlow[]>;
}

/** The enabled event trigger of a definition, or undefined; a config without url or queue is left out rather than trusted. */
export function eventTriggerOf(definition: FlowDefinition): EventTriggerConfig | undefined {
  const event = triggerConfigOf(definition).event;
  if (event === undefined || event === null || typeof event !== 'object') return undefined;
  if (event.enabled === false || typeof event.url !== 'string' || typeof event.queue !== 'string') return undefined;
  return event;
}

/** The LIKE pre-filter both adapters use so most definitions are never parsed. */
export const EVENT_TRIGGER_HINT = '%"event"%';
