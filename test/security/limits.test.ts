import { randomUUID } from 'node:crypto';
import { BusinessesDocument, ChatDocument, PublicBusinessDocument, SendMessageDocument, SessionDocument, StartSessionDocument, StartSessionThriceDocument } from '../generated/graphql';
import { bootstrapKey, keyHeader } from '../support/admin';
import { seedBusiness } from '../support/chat';
import { errorCodes, gql } from '../support/client';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';
import { clientKey } from '../../src/common/rate-limit';
import type { BusinessEntity } from '../../src/business/business.entity';

/**
 * Issue 10, items 3 and 8: the per-client limits of the public API, each through the real
 * server. Every server gets its own Redis prefix, so each test starts with empty counters.
 * Client addresses are set with X-Forwarded-For through TRUST_PROXY=1, as a load balancer would.
 */

let db: TestDatabase;
let business: BusinessEntity;
const servers: TestServer[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  const seeder = await start({});
  business = await seedBusiness(seeder.app);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await db?.drop();
});

async function start(env: Record<string, string>): Promise<TestServer> {
  const server = await startTestServer(testConfig(db, { TRUST_PROXY: '1', RATE_LIMIT_CHAT: 'off', ...env }));
  servers.push(server);
  return server;
}

const from = (ip: string, extra: Record<string, string> = {}) => ({ headers: { 'x-forwarded-for': ip, ...extra } });

/** Counts the calls of a private method (the one Postgres query of a cache miss). */
function countCalls(target: object, method: string): { readonly calls: number } {
  const spy = jest.spyOn(target as Record<string, () => unknown>, method);
  return {
    get calls() {
      return spy.mock.calls.length;
    },
  };
}

describe('RATE_LIMIT_SESSION', () => {
  it('refuses the 3rd startSession from one client past 2/hour; aliases in one request count one each', async () => {
    const server = await start({ RATE_LIMIT_SESSION: '2/hour' });
    const ip = '203.0.113.10';
    const first = await gql(server.url, StartSessionDocument, { businessId: business.id }, from(ip));
    const second = await gql(server.url, StartSessionDocument, { businessId: business.id }, from(ip));
    const third = await gql(server.url, StartSessionDocument, { businessId: business.id }, from(ip));
    expect(first.errors).toBeUndefined();
    expect(second.errors).toBeUndefined();
    expect(errorCodes(third)).toEqual(['RATE_LIMITED']);
    expect(third.errors![0].extensions!.retryAfterSeconds).toBeGreaterThan(0);

    // Another client, three aliases in one document: `a` and `b` pass, the third alias is refused
    // (startSession is non-null, so the refusal nulls the whole `data`).
    const aliased = await gql(server.url, StartSessionThriceDocument, { businessId: business.id }, from('203.0.113.11'));
    expect(errorCodes(aliased)).toEqual(['RATE_LIMITED']);
    expect(aliased.errors![0].path).toEqual(['c']);
  });
});

describe('RATE_LIMIT_NAVIGATION apart from RATE_LIMIT_CHAT', () => {
  it('lets two "hi" and a menu click through and still answers the model turn with RATE_LIMIT_CHAT=1/minute', async () => {
    const server = await start({ RATE_LIMIT_CHAT: '1/minute', RATE_LIMIT_NAVIGATION: '3/minute' });
    const ip = '203.0.113.20';
    const { data } = await gql(server.url, StartSessionDocument, { businessId: business.id }, from(ip));
    const sessionId = data!.startSession.id;
    const hi1 = await gql(server.url, ChatDocument, { input: { sessionId, text: 'hi' } }, from(ip));
    const hi2 = await gql(server.url, ChatDocument, { input: { sessionId, text: 'hi' } }, from(ip));
    const menu = await gql(server.url, ChatDocument, { input: { sessionId, ctaId: 'services' } }, from(ip));
    expect([hi1, hi2, menu].map(errorCodes)).toEqual([[], [], []]);
    expect(menu.data?.chat.ctas.map((c) => c.id)).toEqual(['whitening', 'implants']);

    const model = await gql(server.url, ChatDocument, { input: { sessionId, text: 'Do you accept new patients?' } }, from(ip));
    expect(model.errors).toBeUndefined();
    expect(model.data?.chat.text).toBeTruthy();

    // Each limit on its own: the 4th navigation reply and the 2nd model turn are refused.
    const link = await gql(server.url, SendMessageDocument, { input: { sessionId, ctaId: 'book' } }, from(ip));
    expect(errorCodes(link)).toEqual(['RATE_LIMITED']);
    // A SEND CTA reaches the model: it counts against RATE_LIMIT_CHAT.
    const send = await gql(server.url, SendMessageDocument, { input: { sessionId, ctaId: 'whitening' } }, from(ip));
    expect(errorCodes(send)).toEqual(['RATE_LIMITED']);
  });
});

describe('RATE_LIMIT_AUTH_FAILURES and the negative caches', () => {
  it('answers wrong keys UNAUTHENTICATED up to the limit, then RATE_LIMITED for every keyed request of that client, the valid key too', async () => {
    const admin = bootstrapKey();
    const server = await start({ RATE_LIMIT_AUTH_FAILURES: '3/minute', ADMIN_API_KEY_HASHES: admin.hash });
    const ip = '203.0.113.30';
    const lookups = countCalls(server.app.apiKeys, 'findByHash');
    const wrong = () => gql(server.url, BusinessesDocument, {}, from(ip, { 'x-api-key': `wrong_${randomUUID()}` }));
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push(errorCodes(await wrong()));
    expect(codes).toEqual([['UNAUTHENTICATED'], ['UNAUTHENTICATED'], ['UNAUTHENTICATED'], ['RATE_LIMITED'], ['RATE_LIMITED']]);
    // Refused before the lookup: three wrong keys were looked up, not five.
    expect(lookups.calls).toBe(3);
    const valid = await gql(server.url, BusinessesDocument, {}, from(ip, keyHeader(admin.secret).headers));
    expect(errorCodes(valid)).toEqual(['RATE_LIMITED']);
    // Another client is not affected.
    const other = await gql(server.url, BusinessesDocument, {}, from('203.0.113.31', keyHeader(admin.secret).headers));
    expect(other.errors).toBeUndefined();
  });

  it('looks an unknown key digest up in Postgres once, however often it is presented', async () => {
    const server = await start({ RATE_LIMIT_AUTH_FAILURES: '100/minute' });
    const lookups = countCalls(server.app.apiKeys, 'findByHash');
    const key = `wrong_${randomUUID()}`;
    for (let i = 0; i < 4; i++) {
      expect(errorCodes(await gql(server.url, BusinessesDocument, {}, from('203.0.113.32', { 'x-api-key': key })))).toEqual(['UNAUTHENTICATED']);
    }
    expect(lookups.calls).toBe(1);
  });

  it('costs one Postgres query for an unknown business id queried twice, and none past the limit for random ids', async () => {
    const server = await start({ RATE_LIMIT_AUTH_FAILURES: '3/minute', RATE_LIMIT_SESSION: 'off' });
    const queries = countCalls(server.app.businesses, 'load');
    const ip = '203.0.113.40';
    const unknown = randomUUID();
    expect((await gql(server.url, PublicBusinessDocument, { id: unknown }, from(ip))).data?.publicBusiness).toBeNull();
    expect(errorCodes(await gql(server.url, StartSessionDocument, { businessId: unknown }, from(ip)))).toEqual(['NOT_FOUND']);
    expect(queries.calls).toBe(1);

    // Random ids: two more misses use up the client's 3 failures; after that no query is made.
    const random = [];
    for (let i = 0; i < 6; i++) random.push(errorCodes(await gql(server.url, PublicBusinessDocument, { id: randomUUID() }, from(ip))));
    expect(random).toEqual([[], [], ['RATE_LIMITED'], ['RATE_LIMITED'], ['RATE_LIMITED'], ['RATE_LIMITED']]);
    expect(queries.calls).toBe(3);
    // The real business is still served to that client (cached or not, it is found)...
    const known = await gql(server.url, PublicBusinessDocument, { id: business.id }, from('203.0.113.41'));
    expect(known.data?.publicBusiness?.name).toBe('Harbor Dental');
    // ...and from the cache even to the client that used its failures up.
    const cached = await gql(server.url, PublicBusinessDocument, { id: business.id }, from(ip));
    expect(cached.data?.publicBusiness?.name).toBe('Harbor Dental');
  });
});

describe('SESSION_UNUSED_TTL_SECONDS', () => {
  it('gives a new session the short lifetime and the full SESSION_TTL_SECONDS once the visitor writes', async () => {
    const server = await start({ SESSION_UNUSED_TTL_SECONDS: '60', SESSION_TTL_SECONDS: '86400' });
    const ip = '203.0.113.50';
    const started = await gql(server.url, StartSessionDocument, { businessId: business.id }, from(ip));
    const sessionId = started.data!.startSession.id;
    const key = `${server.app.config.redisKeyPrefix}chat:session:${sessionId}`;
    expect(await server.app.redis.ttl(key)).toBeLessThanOrEqual(60);
    expect(new Date(started.data!.startSession.expiresAt).getTime()).toBeLessThanOrEqual(Date.now() + 60_000);

    expect((await gql(server.url, ChatDocument, { input: { sessionId, text: 'hi' } }, from(ip))).errors).toBeUndefined();
    expect(await server.app.redis.ttl(key)).toBeGreaterThan(86_000);
    const used = await gql(server.url, SessionDocument, { id: sessionId }, from(ip));
    expect(new Date(used.data!.session!.expiresAt).getTime()).toBeGreaterThan(Date.now() + 86_000_000);
  });
});

describe('IPv6 clients are keyed by /64', () => {
  it('puts two addresses of one /64 in one bucket and another /64 in its own', async () => {
    const server = await start({ RATE_LIMIT_SESSION: '1/hour' });
    const ask = (ip: string) => gql(server.url, StartSessionDocument, { businessId: business.id }, from(ip));
    expect((await ask('2001:db8:1:2::1')).errors).toBeUndefined();
    expect(errorCodes(await ask('2001:db8:1:2:ffff:abcd:1234:5678'))).toEqual(['RATE_LIMITED']);
    expect((await ask('2001:db8:1:3::1')).errors).toBeUndefined();
  });

  it('maps addresses to their buckets (IPv4 as is, IPv4-mapped IPv6 as IPv4, IPv6 by /64)', () => {
    expect(clientKey('198.51.100.7')).toBe('198.51.100.7');
    expect(clientKey('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(clientKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:DB8:1:2::')).toBe('2001:db8:1:2::/64');
  });
});
