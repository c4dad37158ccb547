import { AppError } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { fromWireError, packBuffers, reviveBuffers, toWireError } from './wire.js';

describe('the store thread wire', () => {
  it('packs a Buffer that views a bigger ArrayBuffer into an exact copy, transferred, leaving the caller’s objects alone', () => {
    const pooled = Buffer.from('{"id":1}'); // small Buffers are views into Node's shared pool
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.byteLength);
    const write = { outputs: { '': [{ format: 'json', body: pooled }] }, logs: [{ message: 'm' }] };
    const transfer: ArrayBuffer[] = [];
    const packed = packBuffers(['run', write], transfer) as [string, typeof write];
    const body = packed[1].outputs['']?.[0]?.body as unknown as Uint8Array;
    expect(body.buffer.byteLength).toBe(pooled.byteLength);
    expect(Buffer.from(body).toString()).toBe('{"id":1}');
    expect(transfer).toEqual([body.buffer]);
    // The caller still holds its own Buffer and objects; the untouched branch is shared, not copied.
    expect(write.outputs['']?.[0]?.body).toBe(pooled);
    expect(packed[1]).not.toBe(write);
    expect(packed[1].logs).toBe(write.logs);
  });

  it('returns values without bytes as they are', () => {
    const value = { a: [1, { b: 'c' }], d: null };
    const transfer: ArrayBuffer[] = [];
    expect(packBuffers(value, transfer)).toBe(value);
    expect(transfer).toEqual([]);
  });

  it('keeps a "__proto__" key as data when packing and reviving', () => {
    const meta = JSON.parse('{"__proto__":{"polluted":"yes"},"body":null}') as Record<string, unknown>;
    meta.body = Buffer.from('x');
    const packed = packBuffers(meta, []) as Record<string, unknown>;
    expect(Object.getPrototypeOf(packed)).toBe(Object.prototype);
    expect(Object.hasOwn(packed, '__proto__')).toBe(true);
    const revived = reviveBuffers(structuredClone(packed)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(revived)).toBe(Object.prototype);
    expect(Buffer.isBuffer(revived.body)).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('carries an AppError across with its code, status, retryability, details and headers', () => {
    const err = new AppError('VALIDATION_FAILED', 'bad', { details: { name: ['is required'] }, headers: { 'retry-after': '5' } });
    const back = fromWireError(structuredClone(toWireError(err)));
    expect(back).toBeInstanceOf(AppError);
    expect(back).toMatchObject({ code: 'VALIDATION_FAILED', message: 'bad', status: err.status, retryable: err.retryable });
    expect((back as AppError).details).toEqual({ name: ['is required'] });
    expect((back as AppError).headers).toEqual({ 'retry-after': '5' });
  });

  it('carries other errors as errors of the same name, message and code', () => {
    const err = Object.assign(new RangeError('too far'), { code: 'ERR_X' });
    const back = fromWireError(structuredClone(toWireError(err)));
    expect(back).toBeInstanceOf(Error);
    expect(back).toMatchObject({ name: 'RangeError', message: 'too far', code: 'ERR_X' });
    expect(fromWireError(toWireError(new TypeError('t')))).toBeInstanceOf(TypeError);
  });
});
