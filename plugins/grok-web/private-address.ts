import { BlockList, isIP } from 'node:net';

/**
 * IPv4 ranges that are not the public internet (IANA special-purpose registry): this network /
 * unspecified, private, CGNAT, loopback, link-local, IETF protocol assignments, documentation,
 * 6to4 relay, benchmarking, multicast, reserved and broadcast.
 */
const V4: readonly [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];

/** IPv6 ranges that are never public: `::/96` (unspecified, loopback, IPv4-compatible), NAT64 local use, discard, Teredo, documentation, ULA, link- and site-local, multicast. */
const V6: readonly [string, number][] = [
  ['::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 32],
  ['2001:2::', 48],
  ['2001:10::', 28],
  ['2001:db8::', 32],
  ['3fff::', 20],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
];

const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);

function build(): BlockList {
  const list = new BlockList();
  for (const [net, bits] of V4) {
    list.addSubnet(net, bits, 'ipv4');
    // The same IPv4 range in the IPv6 forms that reach it: mapped (`::ffff:7f00:1`), NAT64
    // (`64:ff9b::7f00:1`, the well-known prefix) and 6to4 (`2002:7f00:1::`). Node's BlockList
    // already matches mapped addresses against IPv4 rules; saying so keeps that independent of it.
    const [a, b, c, d] = net.split('.').map(Number);
    list.addSubnet(`::ffff:${net}`, 96 + bits, 'ipv6');
    list.addSubnet(`64:ff9b::${net}`, 96 + bits, 'ipv6');
    list.addSubnet(`2002:${hex(a, b)}:${hex(c, d)}::`, 16 + bits, 'ipv6');
  }
  for (const [net, bits] of V6) list.addSubnet(net, bits, 'ipv6');
  return list;
}

const BLOCKED = build();

/**
 * Whether `address` (an IP as connected to or resolved, any notation Node accepts) is outside the
 * public internet. Anything that is not an IP address at all counts as private: the caller is
 * deciding whether to connect, and "unknown" must not mean yes.
 */
export function isPrivateAddress(address: string | undefined): boolean {
  if (!address) return true;
  const ip = address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''); // brackets, IPv6 zone id
  const family = isIP(ip);
  if (family === 0) return true;
  return BLOCKED.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}
