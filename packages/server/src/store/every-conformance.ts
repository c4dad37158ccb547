import { auditConformanceSuite } from './audit-conformance.js';
import { type StoreHarness, storeConformanceSuite } from './conformance.js';
import { connectorExtrasConformanceSuite } from './connector-extras-conformance.js';
import { dataConformanceSuite } from './data-conformance.js';
import { eventTriggerConformanceSuite } from './event-trigger-conformance.js';
import { finalStepConformanceSuite } from './final-step-conformance.js';
import { lookupConformanceSuite } from './lookup-conformance.js';
import { notificationConformanceSuite } from './notification-conformance.js';
import { scriptsConformanceSuite } from './scripts-conformance.js';
import { userAdminConformanceSuite } from './user-admin-conformance.js';

/**
 * Every conformance suite against one adapter. A new suite is added here once and every adapter
 * (SQLite, SQLite in a thread, PostgreSQL) runs it. `raw` runs SQL behind the store's back, for the
 * audit suite's append-only checks.
 */
export function everyConformanceSuite<H extends StoreHarness>(
  name: string,
  open: () => Promise<H>,
  raw: (harness: H, sql: string) => Promise<unknown>,
): void {
  storeConformanceSuite(name, open);
  dataConformanceSuite(name, open);
  notificationConformanceSuite(name, open);
  eventTriggerConformanceSuite(name, open);
  auditConformanceSuite(name, async () => {
    const harness = await open();
    return { ...harness, raw: (sql: string) => raw(harness, sql) };
  });
  scriptsConformanceSuite(name, open);
  finalStepConformanceSuite(name, open);
  lookupConformanceSuite(name, open);
  connectorExtrasConformanceSuite(name, open);
  userAdminConformanceSuite(name, open);
}
