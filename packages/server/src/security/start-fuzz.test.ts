import { validateDefinition } from '@weft/schema';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customersToCrm } from '../test-support/flows.js';
import { createTestSystem } from '../test-support/harness.js';

type Sys = Awaited<ReturnType<typeof createTestSystem>>;

/** JSON values, with the keys attackers like mixed into the ordinary ones. */
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.string(),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(
      fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'prototype', 'payload', 'steps', 'edges')),
      tie('value'),
      {
        maxKeys: 5,
      },
    ),
  ),
})).value;

const contentTypes = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'text/plain',
    'text/csv',
    'application/xml',
    'text/xml',
    'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded',
    'application/octet-stream',
    'application/json; charset=utf-16',
    '',
  ),
  fc.string({ maxLength: 40 }),
);

/** Header values Node's HTTP layer would accept (printable ASCII). */
const headerValue = fc.string({ maxLength: 60, unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });

describe('the start endpoint under arbitrary input', () => {
  let sys: Sys;
  let h: Record<string, string>;
  let flowId: string;
  let versionId: string;
  beforeAll(async () => {
    // No worker: only the API's answers are under test, not thousands of runs.
    sys = await createTestSystem({ bodyLimitBytes: 64 * 1024 }, { worker: false });
    h = sys.auth((await sys.register()).token);
    const created = await sys.app.inject({
      method: 'POST',
      url: '/api/v1/flows',
      headers: h,
      payload: { name: 'Fuzzed', definition: customersToCrm('http://127.0.0.1:9') },
    });
    flowId = created.json().data.id;
    versionId = created.json().data.draft_version_id;
    await sys.app.inject({ method: 'POST', url: `/api/v1/flow-versions/${versionId}/deploy`, headers: h, payload: { enable: true } });
  });
  afterAll(async () => sys.close());

  it('never answers 5xx and never crashes, whatever the body, content type and headers', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('start', 'start/raw', 'manual', 'manual/raw'),
        contentTypes,
        fc.oneof(
          jsonValue.map((v) => JSON.stringify(v) ?? ''),
          fc.record({ payload: fc.oneof(fc.string(), jsonValue) }).map((v) => JSON.stringify(v)),
          fc.string({ maxLength: 200 }),
          fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
          fc.constantFrom(
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
            '{"payload":"{\\"__proto__\\":{\\"p\\":1}}"}',
            '[[[[[[]]]]]]',
          ),
        ),
        fc.dictionary(
          fc.constantFrom('x-weft-meta-a', 'x-weft-meta-b', 'idempotency-key', 'content-encoding', 'accept', 'x-weft-meta-__proto__'),
          headerValue,
          { maxKeys: 3 },
        ),
        async (path, contentType, body, headers) => {
          const res = await sys.app.inject({
            method: 'POST',
            url: `/api/v1/flows/${flowId}/${path}`,
            headers: { ...headers, ...h, ...(contentType === '' ? {} : { 'content-type': contentType }) },
            payload: body,
          });
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          expect(res.statusCode, `${path} ${contentType} ${JSON.stringify(headers)} ${body.slice(0, 80)} → ${res.body}`).toBeLessThan(500);
          // Every refusal carries a registry code.
          if (res.statusCode >= 400) expect(typeof res.json().error?.code).toBe('string');
        },
      ),
      { numRuns: 300 },
    );
    expect(({} as Record<string, unknown>).p).toBeUndefined();
    // The inputs reach the whole path, acceptance included, not only the first refusal.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    expect([...statuses.keys()].filter((s) => s >= 400).length).toBeGreaterThan(2);
  });
});

describe('the flow-definition validator under arbitrary JSON', () => {
  it('returns a result and never throws', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          jsonValue,
          fc.record({ steps: fc.array(jsonValue, { maxLength: 4 }), edges: fc.array(jsonValue, { maxLength: 4 }) }),
          fc.record({
            format: fc.constantFrom('json', 'xml', 'csv', 'text', 'x'),
            steps: fc.array(
              fc.record({
                id: fc.oneof(fc.string({ maxLength: 8 }), jsonValue),
                shape: fc.oneof(
                  fc.constantFrom('trigger', 'map', 'connector', 'filter', 'route', 'script', 'split', 'try_catch'),
                  fc.string(),
                ),
                config: jsonValue,
              }),
              { maxLength: 5 },
            ),
            edges: fc.array(
              fc.record({ from: fc.string({ maxLength: 8 }), to: fc.string({ maxLength: 8 }), label: fc.option(fc.string()) }),
              {
                maxLength: 5,
              },
            ),
          }),
        ),
        (definition) => {
          const errors = validateDefinition(definition as never);
          expect(typeof errors).toBe('object');
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('answers 2xx or 422 through the API, never 5xx', async () => {
    const sys = await createTestSystem({}, { worker: false });
    try {
      const h = sys.auth((await sys.register()).token);
      await fc.assert(
        fc.asyncProperty(jsonValue, async (definition) => {
          const res = await sys.app.inject({ method: 'POST', url: '/api/v1/flows', headers: h, payload: { name: 'F', definition } });
          expect([200, 201, 422]).toContain(res.statusCode);
        }),
        { numRuns: 200 },
      );
    } finally {
      await sys.close();
    }
  });
});
