import { AppError } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { createEgressPolicy } from './egress-policy.js';

function refusal(fn: () => void): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an EGRESS_DENIED refusal, but the address was allowed');
}

describe('createEgressPolicy', () => {
  const closed = createEgressPolicy([]);

  it.each([
    ['93.184.216.34', 'public IPv4'],
    ['8.8.8.8', 'public IPv4'],
    ['2606:4700:4700::1111', 'public IPv6'],
    ['::ffff:8.8.8.8', 'IPv4-mapped public IPv4'],
    ['64:ff9b::808:808', 'NAT64 of a public IPv4'],
    ['2002:808:808::1', '6to4 of a public IPv4'],
  ])('allows %s (%s)', (ip) => {
    expect(() => closed.checkAddress(ip, 'example.com')).not.toThrow();
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['100::1', 'reserved'],
    ['3fff::1', 'reserved'],
    ['fec0::1', 'site-local'],
  ])('refuses %s (%s)', (ip, kind) => {
    const err = refusal(() => closed.checkAddress(ip, 'target.example'));
    expect(err.code).toBe('EGRESS_DENIED');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(kind);
  });

  it.each([
    ['169.254.169.254'],
    ['fd00:ec2::254'],
    ['100.100.100.200'],
    ['169.254.170.2'],
    ['::ffff:169.254.169.254'],
    ['::ffff:a9fe:a9fe'],
  ])('refuses the cloud metadata address %s and says so', (ip) => {
    const err = refusal(() => closed.checkAddress(ip, 'metadata.internal'));
    expect(err.message).toContain('cloud metadata');
  });

  describe('every notation of a loopback or private address', () => {
    it.each([
      ['2130706433', 'decimal'],
      ['017700000001', 'octal integer'],
      ['0x7f000001', 'hex integer'],
      ['0x7f.1', 'hex short'],
      ['0177.0.0.1', 'octal dotted'],
      ['0x7f.0x0.0x0.0x1', 'hex dotted'],
      ['127.1', 'short'],
      ['127.0.1', 'three-part'],
      ['127.000.000.001', 'zero-padded'],
      ['::ffff:127.0.0.1', 'IPv4-mapped dotted'],
      ['::ffff:7f00:1', 'IPv4-mapped hex'],
      ['0:0:0:0:0:ffff:7f00:1', 'IPv4-mapped uncompressed'],
      ['::ffff:0:7f00:1', 'IPv4-translated (SIIT)'],
      ['::127.0.0.1', 'IPv4-compatible dotted'],
      ['::7f00:1', 'IPv4-compatible hex'],
      ['64:ff9b::7f00:1', 'NAT64 of loopback'],
      ['64:ff9b::10.0.0.1', 'NAT64 of private'],
      ['64:ff9b::a9fe:a9fe', 'NAT64 of metadata'],
      ['64:ff9b:1::a00:1', 'local-use NAT64'],
      ['2002:7f00:1::', '6to4 of loopback'],
      ['2002:c0a8:101::1', '6to4 of private'],
      ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
      ['[::1]', 'bracketed IPv6'],
      ['0', 'single zero'],
    ])('refuses %s (%s)', (ip) => {
      expect(refusal(() => closed.checkAddress(ip, ip)).code).toBe('EGRESS_DENIED');
    });

    it.each([
      ['http://2130706433/', '127.0.0.1'],
      ['http://0x7f.1/', '127.0.0.1'],
      ['http://0177.0.0.1/', '127.0.0.1'],
      ['http://127.1/', '127.0.0.1'],
      ['http://0x7f000001/', '127.0.0.1'],
      ['http://[::ffff:127.0.0.1]/', '[::ffff:7f00:1]'],
      ['http://[::ffff:7f00:1]/', '[::ffff:7f00:1]'],
      ['http://0xa9.0xfe.0xa9.0xfe/', '169.254.169.254'],
    ])('refuses %s, which URL parsing normalises to %s', (url, normalised) => {
      const { hostname } = new URL(url);
      expect(hostname).toBe(normalised);
      expect(refusal(() => closed.checkAddress(hostname, hostname)).code).toBe('EGRESS_DENIED');
    });
  });

  it('names the host and the address in the refusal', () => {
    const err = refusal(() => closed.checkAddress('127.0.0.1', 'localhost'));
    expect(err.message).toContain('localhost (127.0.0.1)');
    expect(err.message).toContain('loopback');
  });

  it('refuses text that is not an IP address', () => {
    expect(refusal(() => closed.checkAddress('not-an-ip', 'x')).message).toContain('not an IP address');
    expect(refusal(() => closed.checkAddress('08.0.0.1', 'x')).code).toBe('EGRESS_DENIED');
    expect(refusal(() => closed.checkAddress('', 'x')).code).toBe('EGRESS_DENIED');
  });

  describe('with an allow-list', () => {
    it('allows a listed address in every notation of it', () => {
      const policy = createEgressPolicy(['127.0.0.1']);
      for (const ip of ['127.0.0.1', '2130706433', '127.1', '::ffff:127.0.0.1', '::ffff:7f00:1']) {
        expect(() => policy.checkAddress(ip, ip)).not.toThrow();
      }
      expect(refusal(() => policy.checkAddress('127.0.0.2', '127.0.0.2')).code).toBe('EGRESS_DENIED');
      expect(refusal(() => policy.checkAddress('::1', '::1')).code).toBe('EGRESS_DENIED');
    });

    it('allows addresses inside a listed CIDR range only', () => {
      const policy = createEgressPolicy(['10.0.0.0/8', 'fd00:1::/32']);
      expect(() => policy.checkAddress('10.20.30.40', 'db.internal')).not.toThrow();
      expect(() => policy.checkAddress('fd00:1::5', 'db.internal')).not.toThrow();
      expect(refusal(() => policy.checkAddress('192.168.0.1', 'db.internal')).code).toBe('EGRESS_DENIED');
      expect(refusal(() => policy.checkAddress('fd00:2::5', 'db.internal')).code).toBe('EGRESS_DENIED');
    });

    it('allows any address of a listed host name, case and trailing dot aside', () => {
      const policy = createEgressPolicy(['LocalHost']);
      expect(() => policy.checkAddress('127.0.0.1', 'localhost')).not.toThrow();
      expect(() => policy.checkAddress('::1', 'localhost.')).not.toThrow();
      expect(policy.isAllowedHost('LOCALHOST')).toBe(true);
      expect(refusal(() => policy.checkAddress('127.0.0.1', 'evil.example')).code).toBe('EGRESS_DENIED');
    });

    it('keeps metadata addresses refused when a listed range merely covers them', () => {
      const policy = createEgressPolicy(['169.254.0.0/16', '100.64.0.0/10']);
      expect(() => policy.checkAddress('169.254.10.10', 'device.local')).not.toThrow();
      expect(refusal(() => policy.checkAddress('169.254.169.254', 'device.local')).message).toContain('cloud metadata');
      expect(refusal(() => policy.checkAddress('100.100.100.200', 'x')).message).toContain('cloud metadata');
    });

    it('allows a metadata address that is listed exactly', () => {
      const policy = createEgressPolicy(['169.254.169.254']);
      expect(() => policy.checkAddress('169.254.169.254', '169.254.169.254')).not.toThrow();
    });

    it.each([['10.0.0.0/33'], ['10.0.0.0/'], ['::1/129'], ['not a host'], ['-bad.example'], ['10.0.0.0/8x'], ['']])(
      'rejects the malformed entry %j when the policy is built',
      (entry) => {
        expect(() => createEgressPolicy([entry])).toThrow(/egress allow-list entry/);
      },
    );
  });
});
