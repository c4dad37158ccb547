import type { FlowDefinition } from '@weft/schema';
import { EVENT_TRIGGER_HINT, type EventFlow, type EventTriggerStoreMethods, eventTriggerOf } from '../event-trigger-types.js';
import type { PostgresContext } from './context.js';
import { statement } from './database.js';

const SQL = statement(`SELECT f.company_id, f.id AS flow_id, v.id AS version_id, f.priority, v.definition
  FROM flows f JOIN flow_versions v ON v.id = f.deployed_version_id AND v.company_id = f.company_id
  WHERE f.enabled AND v.definition::text LIKE $1 ORDER BY f.id`);

/** json columns arrive parsed (database.ts). */
interface Row {
  company_id: string;
  flow_id: string;
  version_id: string;
  priority: number;
  definition: FlowDefinition;
}

/** Flows with a broker event trigger, read from deployed definitions. */
export function eventTriggerMethods({ db }: PostgresContext): EventTriggerStoreMethods {
  return {
    async listEventFlows() {
      const out: EventFlow[] = [];
      for (const row of await db.rows<Row>(SQL, [EVENT_TRIGGER_HINT])) {
        const event = eventTriggerOf(row.definition);
        if (event !== undefined)
          out.push({ companyId: row.company_id, flowId: row.flow_id, versionId: row.version_id, priority: row.priority, event });
      }
      return out;
    },
  };
}
