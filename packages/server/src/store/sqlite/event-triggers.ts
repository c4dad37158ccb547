import type { FlowDefinition } from '@weft/schema';
import { EVENT_TRIGGER_HINT, type EventFlow, type EventTriggerStoreMethods, eventTriggerOf } from '../event-trigger-types.js';
import type { SqliteContext } from './context.js';

const SQL = `SELECT f.company_id, f.id AS flow_id, v.id AS version_id, f.priority, v.definition
  FROM flows f JOIN flow_versions v ON v.id = f.deployed_version_id AND v.company_id = f.company_id
  WHERE f.enabled = 1 AND v.definition LIKE ? ORDER BY f.id`;

interface Row {
  company_id: string;
  flow_id: string;
  version_id: string;
  priority: number;
  definition: string;
}

/** Flows with a broker event trigger, read from deployed definitions. */
export function eventTriggerMethods({ db }: SqliteContext): EventTriggerStoreMethods {
  return {
    async listEventFlows() {
      const out: EventFlow[] = [];
      for (const row of db.statement(SQL).all(EVENT_TRIGGER_HINT) as Row[]) {
        const event = eventTriggerOf(JSON.parse(row.definition) as FlowDefinition);
        if (event !== undefined)
          out.push({ companyId: row.company_id, flowId: row.flow_id, versionId: row.version_id, priority: row.priority, event });
      }
      return out;
    },
  };
}
