/**
 * IPv4 and IPv6 CIDR blocks as numbers, for overlap and capacity checks.
 */

export interface Cidr {
  readonly text: string;
  readonly family: 4 | 6;
  readonly prefix: number;
  /** First address of the block. */
  readonly network: bigint;
  /** Last address of the block. */
  readonly last: bigint;
}

export type CidrParse = { ok: true; cidr: Cidr } | { ok: false; reason: string };

export function parseCidr(text: string): CidrParse {
  const slash = text.indexOf('/');
  if (slash < 0) return { ok: false, reason: 'has no prefix length (/N)' };
  const addressText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return { ok: false, reason: 'has a prefix length that is not a number' };
  const prefix = Number(prefixText);
  const family: 4 | 6 = addressText.includes(':') ? 6 : 4;
  const bits = family === 4 ? 32 : 128;
  if (prefix > bits) return { ok: false, reason: `has prefix /${prefix}, longer than ${bits} bits` };
  const address = family === 4 ? parseIpv4(addressText) : parseIpv6(addressText);
  if (address === undefined) return { ok: false, reason: `has an invalid IPv${family} address` };
  const size = 1n << BigInt(bits - prefix);
  const network = (address / size) * size;
  if (network !== address) {
    return { ok: false, reason: `has host bits set: the block starts at ${formatAddress(network, family)}/${prefix}` };
  }
  return { ok: true, cidr: { text, family, prefix, network, last: network + size - 1n } };
}

/** Parse a CIDR known to be valid (e.g. one already checked by rules); throws otherwise. */
export function cidrOf(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(`${text} ${parsed.reason}`);
  return parsed.cidr;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    value = value * 256n + BigInt(p);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? head.length !== 8 : missing < 1) return undefined;
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let value = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) + BigInt(parseInt(g, 16));
  }
  return value;
}

function formatAddress(value: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((value >> s) & 0xffffn).toString(16));
  return groups.join(':');
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.network <= b.last && b.network <= a.last;
}

/** Addresses in the block (IPv4 only makes sense for capacity). */
export function addressCount(c: Cidr): bigint {
  return c.last - c.network + 1n;
}
