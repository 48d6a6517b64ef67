import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupFunction } from '../../src/outbound/outbound.client';

/**
 * A DNS of made-up names for the outbound client's `lookup` seam: `names` maps a host name to
 * its addresses (a function: a different answer per call, as a rebinding DNS server gives).
 * Unknown names fail like NXDOMAIN.
 */
export function fakeDns(names: Record<string, string[] | (() => string[])>): LookupFunction & { calls: string[] } {
  const calls: string[] = [];
  const lookup = ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    calls.push(hostname);
    const entry = names[hostname];
    const list = typeof entry === 'function' ? entry() : entry;
    if (!list) {
      callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
      return;
    }
    const addresses: LookupAddress[] = list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    if (options.all) callback(null, addresses);
    else callback(null, addresses[0].address, addresses[0].family);
  }) as unknown as LookupFunction & { calls: string[] };
  lookup.calls = calls;
  return lookup;
}

/** A loopback HTTP server with one handler; records every request path. */
export class LoopbackServer {
  readonly requests: string[] = [];
  private server!: Server;
  port = 0;

  constructor(private readonly handler: (req: IncomingMessage, res: ServerResponse, self: LoopbackServer) => void) {}

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.requests.push(req.url ?? '/');
      this.handler(req, res, this);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
