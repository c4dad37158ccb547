import type { AssertConfig } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { Payload } from '../../payload.js';
import { shapeContext } from '../map/test-support/context.js';
import { assertShape } from './index.js';

const run = (config: AssertConfig, input: Payload[]) => assertShape.execute(shapeContext(config), input);

describe('assert shape', () => {
  it('passes payloads equal to the expected document on unchanged, whatever the key order', async () => {
    const input = [Payload.fromBytes(Buffer.from('{"b":[1,{"c":null}],"a":"x"}'), 'json')];
    expect((await run({ expected: { a: 'x', b: [1, { c: null }] } }, input)).payloads).toBe(input);
  });

  it('fails, without retrying, with the first differences listed by path', async () => {
    const actual = { order: { id: 'A1', lines: [{ sku: 'a', qty: 2 }, { sku: 'b' }], extra: true } };
    const expected = {
      order: {
        id: 'A1',
        lines: [
          { sku: 'a', qty: 1 },
          { sku: 'b', qty: 1 },
        ],
        note: 'n',
      },
    };
    const failure = await run({ expected }, [Payload.fromValue(actual, 'json')]).catch((e) => e);
    expect(failure).toMatchObject({ code: 'ASSERTION_FAILED', retryable: false });
    expect(failure.message).toBe(
      'assert: the payload differs from the expected document: order.lines[0].qty: expected 1, got 2; order.lines[1].qty: missing (expected 1); order.note: missing (expected "n"); order.extra: not expected (got true)',
    );
    expect(failure.details['order.lines[0].qty']).toEqual(['expected 1, got 2']);
    expect(assertShape.retries?.({ expected: 1 })).toBe(0);
  });

  it('treats types as part of the value: 1 is not "1"', async () => {
    await expect(run({ expected: { n: 1 } }, [Payload.fromValue({ n: '1' }, 'json')])).rejects.toMatchObject({
      message: expect.stringContaining('n: expected 1, got "1"'),
    });
  });

  it('reports lists of different lengths and compares what they share', async () => {
    await expect(run({ expected: [1, 2, 3] }, [Payload.fromValue([1, 5], 'json')])).rejects.toMatchObject({
      message: expect.stringContaining('(the document): expected a list of 3, got a list of 2; [1]: expected 2, got 5'),
    });
  });

  it('leaves ignore_paths out of the comparison, with stars for every element', async () => {
    const config: AssertConfig = { expected: [{ id: 1, at: 'x' }, { id: 2 }], ignore_paths: ['*.at', 'meta'] };
    const actual = [
      { id: 1, at: '2026-01-01' },
      { id: 2, at: 'y' },
    ];
    await expect(run(config, [Payload.fromValue(actual, 'json')])).resolves.toBeDefined();
    await expect(run(config, [Payload.fromValue([{ id: 1 }, { id: 3 }], 'json')])).rejects.toMatchObject({
      message: expect.stringContaining('[1].id: expected 2, got 3'),
    });
  });

  it('lists ten differences and counts the rest', async () => {
    const expected = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, i]));
    await expect(run({ expected }, [Payload.fromValue({}, 'json')])).rejects.toMatchObject({
      message: expect.stringMatching(/k9: missing \(expected 9\); and 5 more$/),
    });
  });

  it('names the payload that differs in a bucket of several', async () => {
    const input = [Payload.fromValue('ok', 'json'), Payload.fromValue('no', 'json')];
    await expect(run({ expected: 'ok' }, input)).rejects.toMatchObject({
      message: 'assert: payload 2 of 2 differs from the expected document: (the document): expected "ok", got "no"',
    });
  });

  it('compares XML and CSV payloads with an expected document written in their format', async () => {
    const xml = Payload.fromBytes(Buffer.from('<a x="1"><b>2</b></a>'), 'xml');
    await expect(run({ expected: '<a x="1"><b>2</b></a>' }, [xml])).resolves.toBeDefined();
    await expect(run({ expected: { a: { '@_x': '1', b: '2' } } }, [xml])).resolves.toBeDefined();
    const csv = Payload.fromBytes(Buffer.from('id,name\n1,a\n'), 'csv');
    await expect(run({ expected: 'id,name\n1,b\n' }, [csv])).rejects.toMatchObject({
      message: expect.stringContaining('[0].name: expected "b", got "a"'),
    });
    await expect(run({ expected: 'id\n"1' }, [csv])).rejects.toMatchObject({ code: 'FLOW_INVALID' });
  });

  it('compares a text payload with an expected string', async () => {
    await expect(run({ expected: 'hello' }, [Payload.fromBytes(Buffer.from('hello'), 'text')])).resolves.toBeDefined();
    await expect(run({ expected: 'hello' }, [Payload.fromBytes(Buffer.from('help'), 'text')])).rejects.toMatchObject({
      code: 'ASSERTION_FAILED',
    });
  });

  it('fails without retrying when a payload does not parse', async () => {
    await expect(run({ expected: {} }, [Payload.fromBytes(Buffer.from('{'), 'json')])).rejects.toMatchObject({
      code: 'PAYLOAD_FORMAT_ERROR',
      retryable: false,
    });
  });

  it('passes an empty bucket', async () => {
    expect((await run({ expected: {} }, [])).payloads).toEqual([]);
  });

  it('compares lists of a hundred thousand records', async () => {
    const big = Array.from({ length: 100_000 }, (_, i) => ({ id: i, name: `n${i}` }));
    const changed = big.map((r) => ({ ...r }));
    changed[77_777]!.name = 'x';
    await expect(run({ expected: big }, [Payload.fromValue(changed, 'json')])).rejects.toMatchObject({
      message: expect.stringContaining('[77777].name: expected "n77777", got "x"'),
    });
  });
});
