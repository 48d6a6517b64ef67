import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, request } from 'undici';
import { isAddressAllowed, isPortAllowed, parseAllowList, parseIp, type AllowList } from './address-policy';

export type { LookupFunction } from 'node:net';

/** Why an outbound request did not produce a response. */
export type OutboundErrorReason = 'invalid_url' | 'refused' | 'timeout' | 'too_large' | 'too_many_redirects' | 'network';

const MESSAGES: Record<OutboundErrorReason, string> = {
  invalid_url: 'the URL is not an http(s) URL',
  refused: 'the URL points to an address or port that may not be reached',
  timeout: 'the request took too long',
  too_large: 'the response is too large',
  too_many_redirects: 'the request was redirected too many times',
  network: 'the request could not be completed',
};

/**
 * An outbound request that failed. The message is generic and names no address, host, port
 * or status: it may be shown to a tenant. What went wrong in detail is in `cause` (for logs).
 */
export class OutboundError extends Error {
  constructor(
    readonly reason: OutboundErrorReason,
    options?: { cause?: unknown },
  ) {
    super(MESSAGES[reason], options);
    this.name = 'OutboundError';
  }
}

export interface OutboundRequest {
  method?: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Bytes of body read at most; past it the response is aborted (`too_large`). Default: the client's. */
  maxBytes?: number;
  /** Bound on the whole exchange, every redirect hop and the body included. Default: the client's. */
  timeoutMs?: number;
  /** Redirects followed (each hop checked like the first URL); default 5, 0: none (the 3xx is returned). */
  maxRedirects?: number;
}

export interface OutboundResponse {
  /** The URL that answered (after redirects). */
  url: string;
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

export interface OutboundClientOptions {
  /** `OUTBOUND_ALLOW_HOSTS` entries (see address-policy.ts). */
  allowHosts: readonly string[];
  /** DNS resolution; default `dns.lookup`. Tests map names to addresses with it. */
  lookup?: LookupFunction;
  /** Default bound on one exchange; 10 s. */
  timeoutMs?: number;
  /** Default body cap; 5 MiB. */
  maxBytes?: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/** The refusal raised inside the connection's DNS lookup (undici hands it back as the request's error). */
class RefusedAddress extends Error {
  constructor() {
    super('resolved to an address that may not be reached');
  }
}

function findRefusal(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof RefusedAddress) return true;
  }
  return false;
}

/**
 * The one way the server reaches a URL a tenant gave it (website crawls, robots.txt,
 * sitemaps, webhooks). Guarantees, for every request and every redirect hop:
 * - only http(s); only ports 80/443 unless the host:port is allowed;
 * - the host is resolved once, inside the connection, and every address it resolves to must
 *   be public (or allowed) — the socket then connects to one of those checked addresses, so a
 *   DNS answer that changes between a check and the connect (rebinding) cannot slip through;
 *   IP literals (any form the WHATWG URL parser accepts: `2130706433`, `0x7f.1`,
 *   `[::ffff:127.0.0.1]`) are checked before any connection;
 * - redirects are followed by hand (at most 5 by default), each hop checked like the first;
 * - the whole exchange is bounded in time, and the body in bytes (reading stops and the
 *   connection is aborted past the cap).
 * Errors are {@link OutboundError}s with a generic message; any HTTP status is a response.
 */
export class OutboundClient {
  private readonly allow: AllowList;
  private readonly agent: Agent;
  private readonly resolve: LookupFunction;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;

  constructor(options: { allowHosts: readonly string[]; lookup?: LookupFunction; timeoutMs?: number; maxBytes?: number }) {
    this.allow = parseAllowList(options.allowHosts);
    this.resolve = options.lookup ?? (dnsLookup);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
    this.agent = new Agent({ connect: { lookup: this.guardedLookup }, connections: 16 });
  }

  /**
   * Checks a URL without fetching it: http(s), an allowed port, and every address its host
   * resolves to public or allowed. Returns the parsed URL. Throws {@link OutboundError}
   * `invalid_url` or `refused` (also when the name does not resolve).
   */
  async checkUrl(url: string): Promise<URL> {
    const parsed = this.checkStatic(url);
    if (parseIp(parsed.hostname)) return parsed;
    const addresses = await new Promise<LookupAddress[]>((resolve, reject) => {
      const options: LookupAllOptions = { all: true };
      this.resolve(parsed.hostname, options, (err, result, family) => {
        if (err) reject(new OutboundError('refused', { cause: err }));
        else resolve(Array.isArray(result) ? result : [{ address: result, family: family ?? 4 }]);
      });
    });
    if (!addresses.length || !addresses.every((a) => this.addressOk(parsed.hostname, a.address))) {
      throw new OutboundError('refused', { cause: new RefusedAddress() });
    }
    return parsed;
  }

  /**
   * One exchange, redirects followed by hand. Resolves with the final response whatever its
   * status; rejects with an {@link OutboundError}.
   */
  async fetch(url: string, req: OutboundRequest = {}): Promise<OutboundResponse> {
    const maxBytes = req.maxBytes ?? this.maxBytes;
    const maxRedirects = req.maxRedirects ?? MAX_REDIRECTS;
    let current = this.checkStatic(url);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, req.timeoutMs ?? this.timeoutMs);
    let method = req.method ?? 'GET';
    let body = req.body;
    try {
      for (let hop = 0; ; hop++) {
        const res = await request(current, {
          method,
          headers: req.headers,
          body: method === 'POST' ? body : undefined,
          dispatcher: this.agent,
          signal: controller.signal,
        });
        const location = res.headers.location;
        if (REDIRECTS.has(res.statusCode) && typeof location === 'string' && maxRedirects > 0) {
          discard(res.body);
          if (hop >= maxRedirects) throw new OutboundError('too_many_redirects');
          let next: string;
          try {
            next = new URL(location, current).toString();
          } catch (err) {
            throw new OutboundError('invalid_url', { cause: err });
          }
          current = this.checkStatic(next);
          // 303, and 301/302 after a POST, become a GET without a body (what browsers do).
          if (res.statusCode === 303 || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')) {
            method = 'GET';
            body = undefined;
          }
          continue;
        }
        const headers = flattenHeaders(res.headers);
        const declared = Number(headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          discard(res.body);
          throw new OutboundError('too_large');
        }
        const parts: Buffer[] = [];
        let total = 0;
        if (method !== 'HEAD') {
          for await (const chunk of res.body as AsyncIterable<Buffer>) {
            total += chunk.byteLength;
            if (total > maxBytes) {
              discard(res.body);
              throw new OutboundError('too_large');
            }
            parts.push(chunk);
          }
        } else {
          discard(res.body);
        }
        return { url: current.toString(), status: res.statusCode, headers, body: Buffer.concat(parts, total) };
      }
    } catch (err) {
      if (err instanceof OutboundError) throw err;
      if (timedOut) throw new OutboundError('timeout', { cause: err });
      if (findRefusal(err)) throw new OutboundError('refused', { cause: err });
      throw new OutboundError('network', { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes pooled connections. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  /** Scheme, port and (for IP literals) address: everything that needs no DNS. */
  private checkStatic(url: string): URL {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (err) {
      throw new OutboundError('invalid_url', { cause: err });
    }
    if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.hostname) throw new OutboundError('invalid_url');
    if (!isPortAllowed(this.allow, parsed)) throw new OutboundError('refused', { cause: new RefusedAddress() });
    const ip = parseIp(parsed.hostname);
    if (ip && !isAddressAllowed(this.allow, parsed.hostname, ip)) throw new OutboundError('refused', { cause: new RefusedAddress() });
    return parsed;
  }

  private addressOk(hostname: string, address: string): boolean {
    const ip = parseIp(address);
    return ip !== null && isAddressAllowed(this.allow, hostname, ip);
  }

  /**
   * The connection's DNS lookup: resolves every address of the name and refuses the
   * connection unless all of them may be reached; the socket connects to what it returns.
   */
  private readonly guardedLookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname, { ...options, all: true }, (err, result, family) => {
      if (err) return callback(err, '', 0);
      const addresses: LookupAddress[] = Array.isArray(result) ? result : [{ address: result, family: family ?? 4 }];
      if (!addresses.length || !addresses.every((a) => this.addressOk(hostname, a.address))) {
        return callback(Object.assign(new RefusedAddress(), { code: 'EREFUSED_ADDRESS' }), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** Stops reading a body and closes its connection (the stream's abort error is expected, not an incident). */
function discard(body: { on(event: 'error', listener: () => void): unknown; destroy(): unknown }): void {
  body.on('error', () => undefined);
  body.destroy();
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
