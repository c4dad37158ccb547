import { AppError, type TrackDataConfig } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { Payload } from '../../payload.js';
import type { StepLog } from '../../shape.js';
import { memoryDataPorts } from '../../test-support/memory-data-ports.js';
import { shapeContext } from '../map/test-support/context.js';
import { trackDataShape } from './index.js';

type Ports = ReturnType<typeof memoryDataPorts>;

async function track(config: TrackDataConfig, input: Payload[], ports: Ports | undefined, logs: StepLog[] = []) {
  const base = shapeContext(config);
  const ctx = shapeContext(config, {
    services: { ...base.services, ...(ports && { trackedData: ports.trackedData }) },
    log: (l) => logs.push(l),
  });
  return trackDataShape.execute(ctx, input);
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

const orders: TrackDataConfig = {
  fields: [
    { path: '*.order_number', entity: 'order' },
    { path: '*.customer.email', entity: 'customer' },
  ],
};

describe('track_data shape', () => {
  it('records every value at each field path once, with its entity and step, and passes the bucket on', async () => {
    const ports = memoryDataPorts();
    const input = [
      Payload.fromValue(
        [
          { order_number: 'LMUK62388', customer: { email: 'a@x.test' } },
          { order_number: 'LMUK62389', customer: { email: 'a@x.test' } },
        ],
        'json',
      ),
      Payload.fromValue([{ order_number: 'LMUK62388' }], 'json'),
    ];
    const result = await track(orders, input, ports);
    expect(result.payloads).toBe(input);
    expect(ports.tracked.map((t) => [t.entity, t.value, t.runId, t.stepId])).toEqual([
      ['order', 'LMUK62388', 'run_1', 'step'],
      ['order', 'LMUK62389', 'run_1', 'step'],
      ['customer', 'a@x.test', 'run_1', 'step'],
    ]);
  });

  it('tracks numbers and booleans as text and skips missing, null, empty and structured values', async () => {
    const ports = memoryDataPorts();
    await track(
      { fields: [{ path: '*.v', entity: 'e' }] },
      [Payload.fromValue([{ v: 42 }, { v: true }, { v: null }, { v: '' }, { v: { a: 1 } }, { other: 1 }], 'json')],
      ports,
    );
    expect(ports.tracked.map((t) => t.value)).toEqual(['42', 'true']);
  });

  it('tracks fields of CSV rows and XML documents', async () => {
    const ports = memoryDataPorts();
    await track({ fields: [{ path: '*.sku', entity: 'sku' }] }, [Payload.fromBytes(Buffer.from('sku\nA\nB\n'), 'csv')], ports);
    await track(
      { fields: [{ path: 'order.id', entity: 'order' }] },
      [Payload.fromBytes(Buffer.from('<order><id>7</id></order>'), 'xml')],
      ports,
    );
    expect(ports.tracked.map((t) => `${t.entity}=${t.value}`)).toEqual(['sku=A', 'sku=B', 'order=7']);
  });

  it('passes text payloads and over-long values with a warning, and records nothing for an empty bucket', async () => {
    const logs: StepLog[] = [];
    const ports = memoryDataPorts();
    await track(
      { fields: [{ path: 'id', entity: 'e' }] },
      [Payload.fromBytes(Buffer.from('plain'), 'text'), Payload.fromValue({ id: 'x'.repeat(501) }, 'json')],
      ports,
      logs,
    );
    expect(ports.tracked).toEqual([]);
    expect(logs.map((l) => l.message)).toEqual([
      'track_data: 0 values tracked',
      'track_data: 1 text payload had no fields to track',
      'track_data: 1 value longer than 500 characters not tracked',
    ]);
    expect((await track(orders, [], ports)).payloads).toEqual([]);
  });

  it('tracks a large array', async () => {
    const ports = memoryDataPorts();
    const rows = Array.from({ length: 3000 }, (_, i) => ({ order_number: `N${i}` }));
    await track(orders, [Payload.fromValue(rows, 'json')], ports);
    expect(ports.tracked.length).toBe(3000);
  });

  it('fails on a payload that does not parse, and without tracked data in the engine', async () => {
    expect((await failure(track(orders, [Payload.fromBytes(Buffer.from('{'), 'json')], memoryDataPorts()))).code).toBe(
      'PAYLOAD_FORMAT_ERROR',
    );
    expect((await failure(track(orders, [], undefined))).message).toContain('tracked data is not available');
  });
});
