import { BusinessEntity } from '../../src/business/business.entity';
import { CreateBusinessDocument, PublicBusinessDocument, UpdateBusinessDocument } from '../generated/graphql';
import { bootstrapKey, keyHeader } from '../support/admin';
import { errorCodes, gql } from '../support/client';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * Issue 10 item 7 (first sentence): stored URLs are handed out as the URL parser's `href`, so a
 * `"`, `<` or `>` a tenant typed never reaches a widget that puts the URL in an attribute.
 */

const admin = bootstrapKey();
let db: TestDatabase;
let server: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(testConfig(db, { ADMIN_API_KEY_HASHES: admin.hash }));
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

const HOSTILE_LOGO = 'https://cdn.test/logo.png?x="><script>alert(1)</script>#"<b>';
const HOSTILE_LINK = 'https://shop.test/a"onmouseover="alert(1)<x>';
const noBreakout = (url: string | null | undefined) => expect(url ?? '').not.toMatch(/["<>`]/);

it('logoUrl and CTA urls come back percent-encoded (the parsed href), from the admin and the public API', async () => {
  const created = await gql(
    server.url,
    CreateBusinessDocument,
    {
      input: {
        name: 'Hostile URLs',
        logoUrl: HOSTILE_LOGO,
        websiteUrl: 'https://site.test/"<>',
        ctaTree: [
          { id: 'main_menu', label: 'Menu', action: 'SHOW_CHILDREN', children: ['shop'] },
          { id: 'shop', label: 'Shop', action: 'LINK', url: HOSTILE_LINK },
        ],
      },
    },
    keyHeader(admin.secret),
  );
  expect(created.errors).toBeUndefined();
  const biz = created.data!.createBusiness;
  expect(biz.logoUrl).toBe(new URL(HOSTILE_LOGO).href);
  expect(biz.websiteUrl).toBe('https://site.test/%22%3C%3E');
  noBreakout(biz.logoUrl);
  noBreakout(biz.ctaTree.find((n) => n.id === 'shop')!.url);

  const pub = (await gql(server.url, PublicBusinessDocument, { id: biz.id })).data!.publicBusiness!;
  expect(pub.logoUrl).toBe(new URL(HOSTILE_LOGO).href);
  expect(pub.entryCtas[0].url).toBe(new URL(HOSTILE_LINK).href);
  noBreakout(pub.logoUrl);
  noBreakout(pub.entryCtas[0].url);
});

it('a quote or angle bracket the parser keeps (in the host) is refused with BAD_USER_INPUT', async () => {
  const res = await gql(server.url, CreateBusinessDocument, { input: { name: 'Bad host', logoUrl: 'https://cdn"x.test/logo.png' } }, keyHeader(admin.secret));
  expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
  const ok = (await gql(server.url, CreateBusinessDocument, { input: { name: 'Fine' } }, keyHeader(admin.secret))).data!.createBusiness;
  const upd = await gql(server.url, UpdateBusinessDocument, { id: ok.id, input: { logoUrl: 'https://a<b.test/' } }, keyHeader(admin.secret));
  expect(errorCodes(upd)).toEqual(['BAD_USER_INPUT']);
});

it('rows stored before the check are cleaned on the way out', async () => {
  const em = server.app.orm.em.fork();
  const legacy = Object.assign(new BusinessEntity(), {
    name: 'Legacy',
    logoUrl: 'https://cdn.test/x.png"><img src=x onerror=alert(1)>',
    ctaTree: [
      { id: 'main_menu', label: 'Menu', action: 'SHOW_CHILDREN', children: ['go', 'evil'] },
      { id: 'go', label: 'Go', action: 'LINK', url: 'https://shop.test/"<>', children: [] },
      { id: 'evil', label: 'Evil', action: 'LINK', url: 'javascript:alert(1)', children: [] },
    ],
  });
  await em.persistAndFlush(legacy);
  const pub = (await gql(server.url, PublicBusinessDocument, { id: legacy.id })).data!.publicBusiness!;
  expect(pub.logoUrl).toBe('https://cdn.test/x.png%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E');
  expect(pub.entryCtas.map((c) => c.url)).toEqual(['https://shop.test/%22%3C%3E', null]);
});
