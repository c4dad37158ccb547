import { AppError } from '@weft/schema';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Decides which addresses outbound connector traffic may reach (quality.md §2, last row).
 *
 * Only publicly routable unicast addresses pass by default; everything else (loopback, private,
 * CGNAT, link-local, unique-local, unspecified, multicast, broadcast, reserved, cloud metadata)
 * is refused unless the allow-list names it.
 */
export interface EgressPolicy {
  /**
   * Throws AppError EGRESS_DENIED (not retryable) unless `ip` may be connected to.
   * `host` is the name the address was resolved from (or the literal itself); it appears in the
   * message and is matched against host names in the allow-list.
   */
  checkAddress(ip: string, host: string): void;
  /** Whether `host` is named in the allow-list, so whatever it resolves to is trusted. */
  isAllowedHost(host: string): boolean;
}

/**
 * Addresses that hand out cloud credentials. They sit inside ranges that are refused anyway, but
 * they stay refused when an allow-list entry merely covers them (say `169.254.0.0/16` for a
 * link-local device): only an entry naming the exact address lets them through.
 */
const METADATA_ADDRESSES: ReadonlyArray<[Address, string]> = [
  ['169.254.169.254', 'AWS, GCP, Azure, OCI and OpenStack instance metadata'],
  ['169.254.170.2', 'AWS ECS task metadata'],
  ['fd00:ec2::254', 'AWS instance metadata over IPv6'],
  ['100.100.100.200', 'Alibaba Cloud instance metadata'],
  ['168.63.129.16', 'Azure WireServer'],
].map(([ip, name]) => [ipaddr.parse(ip!), name!]);

/** Descriptions for refusal messages; anything else not `unicast` is reported as reserved. */
const RANGE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT (shared) address',
  private: 'a private address',
  uniqueLocal: 'a unique-local address',
  deprecatedSiteLocal: 'a site-local address',
};

const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');
const IPV4_COMPATIBLE_V6 = ipaddr.IPv6.parseCIDR('::/96');
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');
const SIX_TO_FOUR = ipaddr.IPv6.parseCIDR('2002::/16');

type AllowEntry = { kind: 'host'; host: string } | { kind: 'cidr'; range: [Address, number]; exact: boolean };

/**
 * Builds the egress guard from allow-list entries: host names (`localhost`), IP addresses
 * (`127.0.0.1`, `::1`) or CIDR ranges (`10.0.0.0/8`). A malformed entry throws, so a typo in the
 * setting is found at start-up rather than when a run is refused.
 */
export function createEgressPolicy(allow: readonly string[]): EgressPolicy {
  const entries = allow.map(parseAllowEntry);
  const hosts = new Set(entries.flatMap((e) => (e.kind === 'host' ? [e.host] : [])));
  const ranges = entries.flatMap((e) => (e.kind === 'cidr' ? [e] : []));

  const isAllowedHost = (host: string): boolean => hosts.size > 0 && hosts.has(normaliseHost(host));

  const isAllowedAddress = (candidates: readonly Address[], metadata: boolean): boolean =>
    ranges.some((r) => (!metadata || r.exact) && candidates.some((a) => a.kind() === r.range[0].kind() && a.match(r.range)));

  return {
    isAllowedHost,
    checkAddress(ip: string, host: string): void {
      if (isAllowedHost(host)) return;
      const address = parseAddress(ip);
      if (address === undefined) throw denied(host, ip, 'not an IP address');
      // The same destination can be written as IPv6 with the IPv4 address embedded; an allow-list
      // entry for either spelling covers it, and the refusal rules apply to the IPv4 it reaches.
      const embedded = address.kind() === 'ipv6' ? embeddedIPv4(address as ipaddr.IPv6) : undefined;
      const candidates = embedded ? [address, embedded] : [address];
      const metadata = candidates.map(metadataName).find((m) => m !== undefined);
      if (isAllowedAddress(candidates, metadata !== undefined)) return;
      if (metadata !== undefined) throw denied(host, ip, `a cloud metadata address (${metadata})`);
      const reason = refusalReason(embedded ?? address);
      if (reason !== undefined) throw denied(host, ip, reason);
    },
  };
}

function parseAllowEntry(raw: string): AllowEntry {
  const entry = raw.trim();
  const slash = entry.indexOf('/');
  if (slash >= 0) {
    const base = parseAddress(entry.slice(0, slash));
    const bitsText = entry.slice(slash + 1);
    const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : Number.NaN;
    const maxBits = base?.kind() === 'ipv4' ? 32 : 128;
    if (base === undefined || !(bits >= 0 && bits <= maxBits)) throw invalidEntry(raw);
    return { kind: 'cidr', range: [base, bits], exact: bits === maxBits };
  }
  const address = parseAddress(entry);
  if (address !== undefined) return { kind: 'cidr', range: [address, address.kind() === 'ipv4' ? 32 : 128], exact: true };
  const host = normaliseHost(entry);
  if (!/^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/.test(host)) throw invalidEntry(raw);
  return { kind: 'host', host };
}

function invalidEntry(raw: string): Error {
  return new Error(
    `egress allow-list entry ${JSON.stringify(raw)} is not a host name, IP address or CIDR range (e.g. localhost, 127.0.0.1, 10.0.0.0/8)`,
  );
}

function normaliseHost(host: string): string {
  const lower = host.trim().toLowerCase();
  const bare = lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
  return bare.endsWith('.') ? bare.slice(0, -1) : bare;
}

/**
 * Parses every notation an address may arrive in: dotted, decimal (`2130706433`), octal
 * (`0177.0.0.1`), hex (`0x7f.1`), short (`127.1`), bracketed IPv6 and IPv6 with a zone.
 */
function parseAddress(text: string): Address | undefined {
  const bare = normaliseHost(text);
  try {
    return ipaddr.parse(bare);
  } catch {
    return undefined;
  }
}

/** The IPv4 address an IPv6 address delivers to, for the transition formats that embed one. */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = address.parts;
  const low32 = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  const range = address.range();
  // ::ffff:a.b.c.d (mapped) and ::ffff:0:a.b.c.d (SIIT translated) both reach a.b.c.d.
  if (range === 'ipv4Mapped' || range === 'rfc6145') return low32(p[6]!, p[7]!);
  if (address.match(NAT64_WELL_KNOWN)) return low32(p[6]!, p[7]!);
  if (address.match(SIX_TO_FOUR)) return low32(p[1]!, p[2]!);
  return undefined;
}

function metadataName(address: Address): string | undefined {
  return METADATA_ADDRESSES.find(([m]) => m.kind() === address.kind() && address.match(m, m.kind() === 'ipv4' ? 32 : 128))?.[1];
}

/** Why an address is refused, or undefined when it is publicly routable unicast. */
function refusalReason(address: Address): string | undefined {
  const range = address.range();
  if (address.kind() === 'ipv6') {
    const v6 = address as ipaddr.IPv6;
    // Everything outside 2000::/3 that is not a special range is unallocated or deprecated
    // (IPv4-compatible ::a.b.c.d among them), so it is refused rather than guessed at.
    if (range === 'unicast' && v6.match(GLOBAL_UNICAST_V6)) return undefined;
    if (range === 'unicast' && v6.match(IPV4_COMPATIBLE_V6)) return 'a deprecated IPv4-compatible IPv6 address';
  } else if (range === 'unicast') {
    return undefined;
  }
  return RANGE_DESCRIPTIONS[range] ?? `a reserved address (${range})`;
}

function denied(host: string, ip: string, reason: string): AppError {
  const target = normaliseHost(host) === normaliseHost(ip) ? ip : `${host} (${ip})`;
  return new AppError('EGRESS_DENIED', `connection to ${target} refused: ${reason}; allow it in WEFT_EGRESS_ALLOW if it is meant`, {
    retryable: false,
  });
}
