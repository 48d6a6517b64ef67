import {
  ApiKeysDocument,
  BusinessDocument,
  BusinessesDocument,
  CreateApiKeyDocument,
  CreateBusinessDocument,
  DeleteBusinessDocument,
  PublicBusinessDocument,
  RevokeApiKeyDocument,
  UpdateBusinessDocument,
  type CreateBusinessInput,
  type CtaNodeInput,
} from '../generated/graphql';
import { bootstrapKey, dumpDatabase, keyHeader } from '../support/admin';
import { errorCodes, gql } from '../support/client';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, uniqueName, type TestDatabase } from '../support/stores';

let db: TestDatabase;
let server: TestServer;
const boot = bootstrapKey();
const admin = () => keyHeader(boot.secret);

const CTA_TREE: CtaNodeInput[] = [
  { id: 'main_menu', label: 'Menu', action: 'SHOW_CHILDREN', children: ['book', 'pricing', 'site'] },
  { id: 'book', label: 'Book a consultation', action: 'SEND', message: 'I would like to book a free consultation' },
  { id: 'pricing', label: 'Pricing', action: 'SHOW_CHILDREN', children: ['implants'] },
  { id: 'implants', label: 'Implants', action: 'SEND', message: 'How much do implants cost?' },
  { id: 'site', label: 'Our website', action: 'LINK', url: 'https://alpha-dental.example/' },
];

const FULL: CreateBusinessInput = {
  name: 'Alpha Dental',
  description: 'A family dental practice.',
  primaryGoal: 'book a free consultation',
  personality: 'warm and concise',
  instructions: 'SECRET-INSTRUCTIONS: never quote prices above 500',
  greeting: 'Welcome to Alpha Dental!',
  secondaryGreeting: 'Ask me anything about our treatments.',
  privacyStatement: 'We keep chats for 7 days.',
  services: ['Cleaning', 'Implants'],
  hours: 'Mon–Fri 8–18',
  location: '1 Main St, Springfield',
  contactEmail: 'front-desk@alpha-dental.example',
  contactPhone: '+1 (555) 010-2030',
  websiteUrl: 'https://alpha-dental.example/',
  faqs: [{ question: 'Do you take insurance?', answer: 'Most plans, yes.' }],
  suggestedQuestions: ['Are you open on Saturday?'],
  ctaTree: CTA_TREE,
  enabledCategories: ['pricing', 'treatments'],
  themeColor: '#10B981',
  widgetPosition: 'BOTTOM_LEFT',
  buttonText: 'Chat with us',
  logoUrl: 'https://alpha-dental.example/logo.png',
  voiceEnabled: true,
  allowedOrigins: ['https://alpha-dental.example'],
};

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(testConfig(db, { ADMIN_API_KEY_HASHES: boot.hash }));
});

afterAll(async () => {
  await server?.close();
  await db?.drop();
});

async function create(input: CreateBusinessInput = FULL) {
  const res = await gql(server.url, CreateBusinessDocument, { input }, admin());
  expect(res.errors).toBeUndefined();
  return res.data!.createBusiness;
}

describe('createBusiness and business', () => {
  it('stores every field of the contract and reads it back', async () => {
    const created = await create();
    const { id, createdAt, updatedAt, ...fields } = created;
    expect(fields).toEqual({
      ...FULL,
      themeColor: '#10b981',
      ctaTree: CTA_TREE.map((n) => ({ children: [], message: null, url: null, ...n })),
    });
    expect(Date.parse(createdAt)).not.toBeNaN();
    expect(Date.parse(updatedAt)).not.toBeNaN();
    const read = await gql(server.url, BusinessDocument, { id }, admin());
    expect(read.data?.business).toEqual(created);
  });

  it('fills in defaults for absent fields', async () => {
    const b = await create({ name: 'Minimal Co' });
    expect(b).toMatchObject({
      greeting: 'Hi! How can I help you today?',
      themeColor: '#2563eb',
      widgetPosition: 'BOTTOM_RIGHT',
      voiceEnabled: false,
      services: [],
      faqs: [],
      ctaTree: [],
      description: null,
    });
  });

  it('answers business(id) for an unknown or malformed id with null', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await gql(server.url, BusinessDocument, { id }, admin());
      expect(res.errors).toBeUndefined();
      expect(res.data?.business).toBeNull();
    }
  });
});

describe('validation', () => {
  const cases: Array<[string, Partial<CreateBusinessInput>, RegExp]> = [
    ['an empty name', { name: '  ' }, /^name: must not be empty/],
    ['an overlong name', { name: 'x'.repeat(201) }, /^name: must be at most 200/],
    ['overlong instructions', { instructions: 'x'.repeat(8001) }, /^instructions: must be at most 8000/],
    ['a bad colour', { themeColor: 'red' }, /^themeColor: must be a colour like "#1a2b3c"/],
    ['a javascript: website URL', { websiteUrl: 'javascript:alert(1)' }, /^websiteUrl: must use http or https/],
    ['a relative logo URL', { logoUrl: '/logo.png' }, /^logoUrl: must be an absolute http\(s\) URL/],
    ['an origin with a path', { allowedOrigins: ['https://a.example/page'] }, /^allowedOrigins\[0\]: .*not a bare http\(s\) origin/],
    ['a wildcard origin', { allowedOrigins: ['*'] }, /^allowedOrigins\[0\]: /],
    ['a bad e-mail', { contactEmail: 'not-an-email' }, /^contactEmail: must be an e-mail address/],
    ['too many suggested questions', { suggestedQuestions: Array.from({ length: 21 }, (_, i) => `q${i}`) }, /^suggestedQuestions: at most 20/],
    ['an empty FAQ answer', { faqs: [{ question: 'Q?', answer: '' }] }, /^faqs\[0\]\.answer: must not be empty/],
    [
      'duplicate CTA ids',
      { ctaTree: [{ id: 'a', label: 'A', action: 'SEND', message: 'x' }, { id: 'a', label: 'B', action: 'SEND', message: 'y' }] },
      /^ctaTree\[1\]\.id: duplicate node id "a"/,
    ],
    [
      'a CTA child that does not exist',
      { ctaTree: [{ id: 'main_menu', label: 'Menu', action: 'SHOW_CHILDREN', children: ['ghost'] }] },
      /^ctaTree\[0\]\.children\[0\]: node "main_menu" has a child "ghost" that is not in the tree/,
    ],
    [
      'a CTA cycle',
      {
        ctaTree: [
          { id: 'a', label: 'A', action: 'SHOW_CHILDREN', children: ['b'] },
          { id: 'b', label: 'B', action: 'SHOW_CHILDREN', children: ['c'] },
          { id: 'c', label: 'C', action: 'SHOW_CHILDREN', children: ['a'] },
        ],
      },
      /^ctaTree: cycle: a → b → c → a/,
    ],
    ['a CTA node that is its own child', { ctaTree: [{ id: 'a', label: 'A', action: 'SHOW_CHILDREN', children: ['a'] }] }, /^ctaTree: cycle: a → a/],
    ['a LINK node without url', { ctaTree: [{ id: 'go', label: 'Go', action: 'LINK' }] }, /^ctaTree\[0\]\.url: LINK node "go" needs a url/],
    ['a LINK node with a non-http url', { ctaTree: [{ id: 'go', label: 'Go', action: 'LINK', url: 'ftp://x.example' }] }, /^ctaTree\[0\]\.url: must use http or https/],
    ['a SEND node without message', { ctaTree: [{ id: 'say', label: 'Say', action: 'SEND' }] }, /^ctaTree\[0\]\.message: SEND node "say" needs a message/],
    ['a CTA id with spaces', { ctaTree: [{ id: 'a b', label: 'A', action: 'SEND', message: 'x' }] }, /^ctaTree\[0\]\.id: must be 1–64 characters/],
  ];

  for (const [label, patch, message] of cases) {
    it(`refuses ${label} with BAD_USER_INPUT naming the field, on create and update`, async () => {
      const before = await gql(server.url, BusinessesDocument, {}, admin());
      const res = await gql(server.url, CreateBusinessDocument, { input: { name: 'Valid', ...patch } }, admin());
      expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors?.[0]?.message).toMatch(message);
      const after = await gql(server.url, BusinessesDocument, {}, admin());
      expect(after.data?.businesses.length).toBe(before.data?.businesses.length);
    });
  }

  it('refuses the same input on update and leaves the business unchanged', async () => {
    const b = await create({ name: 'Update Target', themeColor: '#112233' });
    const res = await gql(server.url, UpdateBusinessDocument, { id: b.id, input: { themeColor: '#12345', name: 'Changed' } }, admin());
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    const read = await gql(server.url, BusinessDocument, { id: b.id }, admin());
    expect(read.data?.business).toMatchObject({ name: 'Update Target', themeColor: '#112233' });
  });

  it('refuses name: null on update', async () => {
    const b = await create({ name: 'Named' });
    const res = await gql(server.url, UpdateBusinessDocument, { id: b.id, input: { name: null } }, admin());
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors?.[0]?.message).toMatch(/^name: /);
  });
});

describe('updateBusiness', () => {
  it('changes only the fields given; null clears a field', async () => {
    const b = await create();
    const res = await gql(
      server.url,
      UpdateBusinessDocument,
      { id: b.id, input: { hours: null, services: null, greeting: null, themeColor: null, voiceEnabled: null, personality: 'playful' } },
      admin(),
    );
    expect(res.errors).toBeUndefined();
    const u = res.data!.updateBusiness;
    expect(u).toMatchObject({
      hours: null,
      services: [],
      greeting: 'Hi! How can I help you today?',
      themeColor: '#2563eb',
      voiceEnabled: false,
      personality: 'playful',
    });
    // Everything absent from the input is unchanged.
    expect(u).toMatchObject({ name: FULL.name, instructions: FULL.instructions, contactEmail: FULL.contactEmail, faqs: FULL.faqs, location: FULL.location });
    expect(Date.parse(u.updatedAt)).toBeGreaterThanOrEqual(Date.parse(b.updatedAt));
  });

  it('answers NOT_FOUND for an unknown business', async () => {
    const res = await gql(server.url, UpdateBusinessDocument, { id: '00000000-0000-4000-8000-000000000000', input: { name: 'x' } }, admin());
    expect(errorCodes(res)).toEqual(['NOT_FOUND']);
  });
});

describe('deleteBusiness', () => {
  it('removes the business and its API keys, which stop authenticating at once', async () => {
    const b = await create({ name: 'Doomed' });
    const key = await gql(server.url, CreateApiKeyDocument, { input: { name: 'doomed admin', businessId: b.id } }, admin());
    const secret = key.data!.createApiKey.secret;
    expect(errorCodes(await gql(server.url, BusinessesDocument, {}, keyHeader(secret)))).toEqual([]);

    const res = await gql(server.url, DeleteBusinessDocument, { id: b.id }, admin());
    expect(res.data?.deleteBusiness).toBe(true);

    expect((await gql(server.url, BusinessDocument, { id: b.id }, admin())).data?.business).toBeNull();
    expect((await gql(server.url, PublicBusinessDocument, { id: b.id })).data?.publicBusiness).toBeNull();
    const keys = await gql(server.url, ApiKeysDocument, {}, admin());
    expect(keys.data?.apiKeys.some((k) => k.businessId === b.id)).toBe(false);
    expect(await dumpDatabase(db.url)).not.toContain(b.id);
    expect(errorCodes(await gql(server.url, BusinessesDocument, {}, keyHeader(secret)))).toEqual(['UNAUTHENTICATED']);
  });

  it('answers NOT_FOUND for a business that does not exist', async () => {
    const res = await gql(server.url, DeleteBusinessDocument, { id: '00000000-0000-4000-8000-000000000000' }, admin());
    expect(errorCodes(res)).toEqual(['NOT_FOUND']);
  });
});

describe('publicBusiness', () => {
  it('needs no key and exposes only widget fields, with the entry CTAs of "main_menu"', async () => {
    const b = await create();
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ publicBusiness(id: "${b.id}") { id name greeting entryCtas { id label action url message } suggestedQuestions } }` }),
    });
    const body = (await res.json()) as { data: { publicBusiness: unknown } };
    expect(body.data.publicBusiness).toEqual({
      id: b.id,
      name: FULL.name,
      greeting: FULL.greeting,
      entryCtas: [
        { id: 'book', label: 'Book a consultation', action: 'SEND', url: null, message: 'I would like to book a free consultation' },
        { id: 'pricing', label: 'Pricing', action: 'SHOW_CHILDREN', url: null, message: null },
        { id: 'site', label: 'Our website', action: 'LINK', url: 'https://alpha-dental.example/', message: null },
      ],
      suggestedQuestions: FULL.suggestedQuestions,
    });
    const full = await gql(server.url, PublicBusinessDocument, { id: b.id });
    const text = JSON.stringify(full.data);
    for (const secret of [FULL.instructions!, FULL.contactEmail!, FULL.contactPhone!, FULL.location!, FULL.hours!, FULL.description!, 'How much do implants cost?']) {
      expect(text).not.toContain(secret);
    }
  });

  it('has no field for instructions or contact details', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ publicBusiness(id: "x") { instructions contactEmail } }' }),
    });
    expect(errorCodes((await res.json()) as never)).toEqual(['BAD_USER_INPUT', 'BAD_USER_INPUT']);
  });

  it('answers null for an unknown id', async () => {
    const res = await gql(server.url, PublicBusinessDocument, { id: 'nope' });
    expect(res.errors).toBeUndefined();
    expect(res.data?.publicBusiness).toBeNull();
  });
});

describe('two servers on the same database and Redis', () => {
  let other: TestServer;
  beforeAll(async () => {
    other = await startTestServer({ ...server.app.config, port: 0 });
  });
  afterAll(async () => {
    await other?.close();
  });

  /** The other server hears of the change over Redis pub/sub, which tells the test nothing: look again. */
  async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
    let value = await read();
    for (let i = 0; i < 50 && !ok(value); i++) {
      await new Promise((r) => setTimeout(r, 50));
      value = await read();
    }
    return value;
  }

  it('drops the other server\'s cached business when one server updates it', async () => {
    const b = await create({ name: `Cached ${uniqueName('b')}` });
    // Warm the other server's cache (and this one's).
    expect((await other.app.businesses.get(b.id))?.name).toBe(b.name);
    const res = await gql(server.url, UpdateBusinessDocument, { id: b.id, input: { name: 'Renamed everywhere' } }, admin());
    expect(res.errors).toBeUndefined();
    const seen = await eventually(() => other.app.businesses.get(b.id), (v) => v?.name === 'Renamed everywhere');
    expect(seen?.name).toBe('Renamed everywhere');
    const pub = await gql(other.url, PublicBusinessDocument, { id: b.id });
    expect(pub.data?.publicBusiness?.name).toBe('Renamed everywhere');
  });

  it('stops honouring a key on the other server when it is revoked here', async () => {
    const created = await gql(server.url, CreateApiKeyDocument, { input: { name: 'two servers' } }, admin());
    const { secret, apiKey } = created.data!.createApiKey;
    expect(errorCodes(await gql(other.url, ApiKeysDocument, {}, keyHeader(secret)))).toEqual([]); // cached there now
    await gql(server.url, RevokeApiKeyDocument, { id: apiKey.id }, admin());
    // Within 2.5 s, well under the 5 s lookup cache TTL: the revocation arrived over pub/sub.
    const codes = await eventually(
      async () => errorCodes(await gql(other.url, ApiKeysDocument, {}, keyHeader(secret))),
      (c) => c[0] === 'UNAUTHENTICATED',
    );
    expect(codes).toEqual(['UNAUTHENTICATED']);
  });
});
