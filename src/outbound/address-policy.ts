import ipaddr from 'ipaddr.js';

/**
 * Which addresses and ports a tenant-given URL may reach.
 *
 * Public unicast addresses (ipaddr.js `range() === 'unicast'`, for IPv4 and IPv6 alike) on
 * ports 80 and 443 are always fine. Every other range — loopback, private, link-local (the
 * cloud metadata service at 169.254.169.254), carrier-grade NAT, unspecified, multicast,
 * broadcast, reserved, unique-local, and the IPv6 forms that embed an IPv4 address (NAT64,
 * 6to4, Teredo) — is refused unless an `OUTBOUND_ALLOW_HOSTS` entry lets it through.
 * IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is judged as the IPv4 address it maps.
 *
 * Entries (comma-separated in the environment):
 * - `name` or `IP`: that host name (whatever it resolves to) or that address may be reached,
 *   on ports 80/443;
 * - `name:port`, `IP:port`, `[IPv6]:port`: the same, and that port too; `name:*` any port;
 * - `CIDR` (`10.0.0.0/8`, `fd00::/8`): addresses in that range may be reached, on 80/443.
 */
export interface AllowList {
  /** Normalised host names (and IP literals in URL form: `127.0.0.1`, `[::1]`) allowed whatever they resolve to. */
  readonly hosts: ReadonlySet<string>;
  /** Address ranges allowed although not public. */
  readonly ranges: ReadonlyArray<readonly [ipaddr.IPv4 | ipaddr.IPv6, number]>;
  /** Extra ports, by normalised host; `'*'`: any port. */
  readonly ports: ReadonlyMap<string, ReadonlySet<number> | '*'>;
}

/** The ports every host may be reached on. */
export const STANDARD_PORTS: ReadonlySet<number> = new Set([80, 443]);

/** A parsed address with IPv4-mapped IPv6 unwrapped to its IPv4 form; null when `text` is not an IP. */
export function parseIp(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (!ipaddr.isValid(bare)) return null;
  // ipaddr.isValid accepts the legacy IPv4 forms ("0x7f.1"); the WHATWG URL parser has
  // already turned those into dotted quads for URL hosts, and DNS answers are dotted quads.
  return ipaddr.process(bare);
}

/** Public unicast: the only range reachable without an allow-list entry. */
export function isPublicAddress(address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  return address.range() === 'unicast';
}

/**
 * Normalises one entry's host the way the WHATWG URL parser normalises a URL's host, so
 * `LOCALHOST`, `2130706433` or `[::ffff:127.0.0.1]` compare equal to what `new URL` yields.
 */
function normaliseHost(host: string): string {
  const wrapped = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  let url: URL;
  try {
    url = new URL(`http://${wrapped}/`);
  } catch {
    throw new Error(`"${host}" is not a host name or an IP address`);
  }
  if (url.port || url.username || url.pathname !== '/') throw new Error(`"${host}" is not a host name or an IP address`);
  return url.hostname;
}

/** Parses the entries of `OUTBOUND_ALLOW_HOSTS`; throws an Error naming the first bad entry. */
export function parseAllowList(entries: readonly string[]): AllowList {
  const hosts = new Set<string>();
  const ranges: Array<readonly [ipaddr.IPv4 | ipaddr.IPv6, number]> = [];
  const ports = new Map<string, Set<number> | '*'>();
  for (const raw of entries) {
    const entry = raw.trim();
    if (!entry) continue;
    if (entry.includes('/')) {
      try {
        ranges.push(ipaddr.parseCIDR(entry));
      } catch {
        throw new Error(`"${entry}" is not a CIDR range`);
      }
      continue;
    }
    // host, host:port, IPv4:port, [IPv6], [IPv6]:port, bare IPv6 (no port possible).
    const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5}|\*)$/.exec(entry);
    const hostPart = m ? m[1] : entry;
    const host = normaliseHost(hostPart);
    hosts.add(host);
    const ip = parseIp(host);
    if (ip) ranges.push([ip, ip.kind() === 'ipv4' ? 32 : 128]);
    if (m) {
      const port = m[2];
      if (port === '*') {
        ports.set(host, '*');
      } else {
        const n = Number(port);
        if (n < 1 || n > 65535) throw new Error(`"${entry}" has a port outside 1-65535`);
        const set = ports.get(host);
        if (set !== '*') ports.set(host, new Set([...(set ?? []), n]));
      }
    }
  }
  return { hosts, ranges, ports };
}

/** May `url`'s port be used? 80 and 443 always; others only through an allow-list entry of that host. */
export function isPortAllowed(list: AllowList, url: URL): boolean {
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  if (STANDARD_PORTS.has(port)) return true;
  const allowed = list.ports.get(url.hostname);
  return allowed === '*' || (allowed !== undefined && allowed.has(port));
}

/**
 * May a connection for `hostname` go to `address`? Yes when the address is public, when the
 * host name is listed, or when the address lies in a listed IP or CIDR.
 */
export function isAddressAllowed(list: AllowList, hostname: string, address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  if (isPublicAddress(address)) return true;
  if (list.hosts.has(hostname)) return true;
  return list.ranges.some(([base, bits]) => base.kind() === address.kind() && address.match(base, bits));
}
