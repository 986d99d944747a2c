/** Minimal IPv4 CIDR arithmetic used by config validation and subnet planning. */

export interface Ipv4Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly network: number;
  readonly prefixLength: number;
}

const CIDR_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses `a.b.c.d/n`; returns a reason string instead when the text is not a canonical IPv4 CIDR block. */
export function parseCidr(text: string): Ipv4Cidr | string {
  const m = CIDR_PATTERN.exec(text);
  if (!m) return 'is not an IPv4 CIDR block like "10.0.0.0/16"';
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return 'has an octet above 255';
  const prefixLength = Number(m[5]);
  if (prefixLength > 32) return 'has a prefix length above 32';
  const address = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  if ((address & mask) >>> 0 !== address) {
    return `has host bits set; the network address is ${formatCidr({ network: (address & mask) >>> 0, prefixLength })}`;
  }
  return { network: address, prefixLength };
}

export function formatCidr(cidr: Ipv4Cidr): string {
  const n = cidr.network;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${cidr.prefixLength}`;
}

function size(cidr: Ipv4Cidr): number {
  return 2 ** (32 - cidr.prefixLength);
}

export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.network < b.network + size(b) && b.network < a.network + size(a);
}

/** The `index`-th block of `prefixLength` inside `parent` (like Terraform's `cidrsubnet`). */
export function subnetAt(parent: Ipv4Cidr, prefixLength: number, index: number): Ipv4Cidr {
  const count = 2 ** (prefixLength - parent.prefixLength);
  if (prefixLength < parent.prefixLength || index < 0 || index >= count) {
    throw new Error(`subnet #${index} of /${prefixLength} does not fit in ${formatCidr(parent)} (room for ${count})`);
  }
  return { network: parent.network + index * 2 ** (32 - prefixLength), prefixLength };
}

/** How many blocks of `prefixLength` fit into `parent`. */
export function capacity(parent: Ipv4Cidr, prefixLength: number): number {
  return prefixLength < parent.prefixLength ? 0 : 2 ** (prefixLength - parent.prefixLength);
}
