import { ConfigError, loadConfig } from '../../src/config/config';
import { OutboundClient, OutboundError, type OutboundErrorReason } from '../../src/outbound/outbound.client';
import { fakeDns, LoopbackServer } from '../support/outbound';

async function reasonOf(promise: Promise<unknown>): Promise<OutboundErrorReason | 'resolved'> {
  try {
    await promise;
    return 'resolved';
  } catch (err) {
    if (err instanceof OutboundError) return err.reason;
    throw err;
  }
}

let site: LoopbackServer;
let streamClosed: Promise<void>;
let markStreamClosed: () => void;

beforeAll(async () => {
  streamClosed = new Promise((resolve) => (markStreamClosed = resolve));
  site = await new LoopbackServer((req, res, self) => {
    const path = req.url ?? '/';
    if (path === '/hello') return void res.writeHead(200, { 'content-type': 'text/plain', 'x-two': ['a', 'b'] }).end('hello');
    if (path === '/echo') {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => res.writeHead(200).end(`${req.method} ${Buffer.concat(parts).toString()}`));
      return;
    }
    if (path === '/to-metadata') return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    if (path === '/to-hello') return void res.writeHead(301, { location: '/hello' }).end();
    if (path === '/post-303') return void res.writeHead(303, { location: '/echo' }).end();
    if (path === '/to-ftp') return void res.writeHead(302, { location: 'ftp://example.com/x' }).end();
    if (path.startsWith('/loop/')) return void res.writeHead(302, { location: `/loop/${Number(path.slice(6)) + 1}` }).end();
    if (path === '/big-declared') return void res.writeHead(200, { 'content-length': String(10_000) }).end('x'.repeat(10_000));
    if (path === '/endless') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(16 * 1024, 120);
      const timer = setInterval(() => res.write(chunk), 1);
      res.on('close', () => {
        clearInterval(timer);
        markStreamClosed();
      });
      return;
    }
    if (path === '/never') return; // no answer at all
    void self;
    res.writeHead(404).end('no');
  }).start();
});
afterAll(() => site.close());

describe('OutboundClient.checkUrl', () => {
  const client = new OutboundClient({ allowHosts: [], lookup: fakeDns({ 'public.test': ['93.184.216.34'], 'mixed.test': ['93.184.216.34', '10.1.2.3'], 'v6.test': ['2606:2800:220:1::1'], 'local.test': ['::1'] }) });
  afterAll(() => client.close());

  it.each([
    'http://127.0.0.1/',
    'http://2130706433/',
    'http://0x7f.1/',
    'http://017700000001/',
    'http://127.1/',
    'http://0/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:a9fe:a9fe]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.1/',
    'http://172.16.5.4/',
    'http://192.168.1.1/',
    'http://100.64.0.1/',
    'http://[fc00::1]/',
    'http://[fe80::1]/',
    'http://[64:ff9b::7f00:1]/',
    'http://224.0.0.1/',
    'http://localhost/',
    'http://local.test/',
    'http://mixed.test/',
    'http://no-such-name.test/',
  ])('refuses %s (a non-public address, in any form the URL parser accepts)', async (url) => {
    expect(await reasonOf(client.checkUrl(url))).toBe('refused');
  });

  it.each(['ftp://public.test/', 'file:///etc/passwd', 'javascript:alert(1)', 'not a url', 'http://'])('refuses %s as not an http(s) URL', async (url) => {
    expect(await reasonOf(client.checkUrl(url))).toBe('invalid_url');
  });

  it('accepts public names and addresses on ports 80 and 443 only', async () => {
    expect((await client.checkUrl('https://public.test/a?b=1')).hostname).toBe('public.test');
    expect((await client.checkUrl('http://public.test:443/')).port).toBe('443');
    expect((await client.checkUrl('http://v6.test/')).hostname).toBe('v6.test');
    expect((await client.checkUrl('http://93.184.216.34/')).hostname).toBe('93.184.216.34');
    expect(await reasonOf(client.checkUrl('http://public.test:8080/'))).toBe('refused');
    expect(await reasonOf(client.checkUrl('http://public.test:6379/'))).toBe('refused');
  });

  it('lets allow-list entries through: a name, an address with its port, a CIDR', async () => {
    const allowed = new OutboundClient({
      allowHosts: ['intranet.test', '127.0.0.1:8080', '10.0.0.0/8', 'any-port.test:*'],
      lookup: fakeDns({ 'intranet.test': ['192.168.7.7'], 'ten.test': ['10.9.9.9'], 'any-port.test': ['172.16.0.1'] }),
    });
    try {
      expect((await allowed.checkUrl('http://intranet.test/')).hostname).toBe('intranet.test');
      expect(await reasonOf(allowed.checkUrl('http://intranet.test:8080/'))).toBe('refused');
      expect((await allowed.checkUrl('http://127.0.0.1:8080/')).port).toBe('8080');
      expect((await allowed.checkUrl('http://2130706433:8080/')).hostname).toBe('127.0.0.1');
      expect(await reasonOf(allowed.checkUrl('http://127.0.0.1:8081/'))).toBe('refused');
      expect((await allowed.checkUrl('http://ten.test/')).hostname).toBe('ten.test');
      expect((await allowed.checkUrl('http://10.200.0.1/')).hostname).toBe('10.200.0.1');
      expect(await reasonOf(allowed.checkUrl('http://ten.test:81/'))).toBe('refused');
      expect((await allowed.checkUrl('http://any-port.test:9999/')).port).toBe('9999');
      expect(await reasonOf(allowed.checkUrl('http://169.254.169.254/'))).toBe('refused');
    } finally {
      await allowed.close();
    }
  });
});

describe('OutboundClient.fetch', () => {
  let client: OutboundClient;
  beforeAll(() => {
    client = new OutboundClient({
      allowHosts: [`127.0.0.1:${site.port}`, `site.test:${site.port}`],
      lookup: fakeDns({ 'site.test': ['127.0.0.1'], 'other.test': ['127.0.0.1'] }),
    });
  });
  afterAll(() => client.close());

  it('fetches an allowed URL: status, flattened headers, body', async () => {
    const res = await client.fetch(`${site.origin}/hello`);
    expect(res).toMatchObject({ url: `${site.origin}/hello`, status: 200 });
    expect(res.headers['x-two']).toBe('a, b');
    expect(res.body.toString()).toBe('hello');
    expect((await client.fetch(`${site.origin}/missing`)).status).toBe(404);
  });

  it('sends POST bodies; a 303 turns into a GET without the body', async () => {
    expect((await client.fetch(`${site.origin}/echo`, { method: 'POST', body: 'payload' })).body.toString()).toBe('POST payload');
    const after = await client.fetch(`${site.origin}/post-303`, { method: 'POST', body: 'payload' });
    expect(after.body.toString()).toBe('GET ');
    expect(after.url).toBe(`${site.origin}/echo`);
  });

  it('refuses a loopback URL that is not allowed before any byte is sent', async () => {
    const strict = new OutboundClient({ allowHosts: [] });
    const before = site.requests.length;
    try {
      expect(await reasonOf(strict.fetch(`${site.origin}/hello`))).toBe('refused');
      expect(await reasonOf(strict.fetch(`http://2130706433:${site.port}/hello`))).toBe('refused');
      expect(site.requests.length).toBe(before);
    } finally {
      await strict.close();
    }
  });

  it('checks the address a name resolves to inside the connection (a name that rebinds to loopback is refused)', async () => {
    let call = 0;
    const dns = fakeDns({ 'rebind.test': () => (call++ === 0 ? ['93.184.216.34'] : ['127.0.0.1']) });
    // Port 80: no allow-list entry is needed to try, and were the lookup not guarded the
    // connection would go to 127.0.0.1:80 (a network error or a response, never 'refused').
    const rebinding = new OutboundClient({ allowHosts: [], lookup: dns });
    const lenient = new OutboundClient({ allowHosts: [], lookup: fakeDns({ 'rebind.test': ['127.0.0.1'] }) });
    const before = site.requests.length;
    try {
      // The up-front check saw a public address; the connection's own lookup sees loopback and refuses.
      await rebinding.checkUrl('http://rebind.test/hello');
      expect(await reasonOf(rebinding.fetch('http://rebind.test/hello'))).toBe('refused');
      expect(dns.calls).toEqual(['rebind.test', 'rebind.test']);
      expect(await reasonOf(lenient.fetch('http://rebind.test/hello'))).toBe('refused');
      expect(site.requests.length).toBe(before);
    } finally {
      await rebinding.close();
      await lenient.close();
    }
  });

  it('connects to an allowed name through the lookup seam', async () => {
    const res = await client.fetch(`http://site.test:${site.port}/hello`);
    expect(res.body.toString()).toBe('hello');
    // other.test resolves to the same loopback address but is not listed by name: refused.
    expect(await reasonOf(client.fetch(`http://other.test:${site.port}/hello`))).toBe('refused');
  });

  it('follows redirects by hand and checks every hop', async () => {
    const res = await client.fetch(`${site.origin}/to-hello`);
    expect(res).toMatchObject({ url: `${site.origin}/hello`, status: 200 });
    expect(await reasonOf(client.fetch(`${site.origin}/to-metadata`))).toBe('refused');
    expect(await reasonOf(client.fetch(`${site.origin}/to-ftp`))).toBe('invalid_url');
    expect(await reasonOf(client.fetch(`${site.origin}/loop/0`))).toBe('too_many_redirects');
    expect(site.requests.filter((p) => p.startsWith('/loop/'))).toHaveLength(6); // the first request and 5 hops
    const manual = await client.fetch(`${site.origin}/to-metadata`, { maxRedirects: 0 });
    expect(manual.status).toBe(302);
  });

  it('stops reading past maxBytes and aborts the connection', async () => {
    expect(await reasonOf(client.fetch(`${site.origin}/big-declared`, { maxBytes: 1000 }))).toBe('too_large');
    expect(await reasonOf(client.fetch(`${site.origin}/endless`, { maxBytes: 256 * 1024 }))).toBe('too_large');
    await streamClosed; // the server saw the connection go away: the client did not drain the stream
  });

  it('bounds the whole exchange in time', async () => {
    expect(await reasonOf(client.fetch(`${site.origin}/never`, { timeoutMs: 200 }))).toBe('timeout');
  });

  it('reports an unreachable allowed host as a network error with a generic message', async () => {
    const closed = new OutboundClient({ allowHosts: ['127.0.0.1:1'] });
    try {
      const err = await closed.fetch('http://127.0.0.1:1/').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OutboundError);
      expect((err as OutboundError).reason).toBe('network');
      expect((err as OutboundError).message).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|fetch failed/);
    } finally {
      await closed.close();
    }
  });
});

describe('OUTBOUND_ALLOW_HOSTS', () => {
  it('is parsed into config.outbound.allowHosts', () => {
    const config = loadConfig({ NODE_ENV: 'test', OUTBOUND_ALLOW_HOSTS: ' intranet.test , 127.0.0.1:8080,10.0.0.0/8,[::1]:3000,fd00::/8 ' });
    expect(config.outbound.allowHosts).toEqual(['intranet.test', '127.0.0.1:8080', '10.0.0.0/8', '[::1]:3000', 'fd00::/8']);
    expect(loadConfig({ NODE_ENV: 'test' }).outbound.allowHosts).toEqual([]);
  });

  it.each(['10.0.0.0/99', 'host:99999', 'bad host', 'http://x.test/'])('refuses the entry %s at start-up', (entry) => {
    expect(() => loadConfig({ NODE_ENV: 'test', OUTBOUND_ALLOW_HOSTS: entry })).toThrow(ConfigError);
  });
});
