import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import winston from 'winston';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  ApiKeysDocument,
  BusinessDocument,
  BusinessesDocument,
  CreateApiKeyDocument,
  CreateBusinessDocument,
  DeleteBusinessDocument,
  RevokeApiKeyDocument,
  UpdateBusinessDocument,
} from '../generated/graphql';
import { bootstrapKey, dumpDatabase, keyHeader } from '../support/admin';
import { errorCodes, gql } from '../support/client';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, REDIS_URL, type TestDatabase } from '../support/stores';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

let db: TestDatabase;
let server: TestServer;
const boot = bootstrapKey();
let businessA: string;
let businessB: string;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(testConfig(db, { ADMIN_API_KEY_HASHES: boot.hash }));
  const a = await gql(server.url, CreateBusinessDocument, { input: { name: 'Alpha Dental' } }, keyHeader(boot.secret));
  const b = await gql(server.url, CreateBusinessDocument, { input: { name: 'Beta Law' } }, keyHeader(boot.secret));
  businessA = a.data!.createBusiness.id;
  businessB = b.data!.createBusiness.id;
});

afterAll(async () => {
  await server?.close();
  await db?.drop();
});

async function createKey(name: string, businessId: string | null = null): Promise<{ id: string; secret: string }> {
  const res = await gql(server.url, CreateApiKeyDocument, { input: { name, businessId } }, keyHeader(boot.secret));
  expect(res.errors).toBeUndefined();
  return { id: res.data!.createApiKey.apiKey.id, secret: res.data!.createApiKey.secret };
}

/** Every admin operation, with arguments that would succeed for a platform key. */
function adminOperations(): Array<[string, TypedDocumentNode<unknown, Record<string, unknown>>, Record<string, unknown>]> {
  const ops: Array<[string, unknown, Record<string, unknown>]> = [
    ['businesses', BusinessesDocument, {}],
    ['business', BusinessDocument, { id: businessA }],
    ['createBusiness', CreateBusinessDocument, { input: { name: 'Nope' } }],
    ['updateBusiness', UpdateBusinessDocument, { id: businessA, input: { name: 'Renamed' } }],
    ['deleteBusiness', DeleteBusinessDocument, { id: businessA }],
    ['apiKeys', ApiKeysDocument, {}],
    ['createApiKey', CreateApiKeyDocument, { input: { name: 'nope' } }],
    ['revokeApiKey', RevokeApiKeyDocument, { id: '00000000-0000-4000-8000-000000000000' }],
  ];
  return ops as never;
}

describe('admin operations refuse callers without a valid key', () => {
  let revoked: string;
  beforeAll(async () => {
    const key = await createKey('to be revoked');
    const res = await gql(server.url, RevokeApiKeyDocument, { id: key.id }, keyHeader(boot.secret));
    expect(res.data?.revokeApiKey).toBe(true);
    revoked = key.secret;
  });

  const cases: Array<[string, () => { url: string; headers: Record<string, string> }]> = [
    ['no key', () => ({ url: server.url, headers: {} })],
    ['a wrong key', () => ({ url: server.url, headers: { 'x-api-key': `wpc_${'A'.repeat(43)}` } })],
    ['a malformed key', () => ({ url: server.url, headers: { 'x-api-key': 'x'.repeat(5000) } })],
    ['a revoked key', () => ({ url: server.url, headers: { 'x-api-key': revoked } })],
    ['a revoked key as Bearer', () => ({ url: server.url, headers: { authorization: `Bearer ${revoked}` } })],
    ['a valid key only in the query string', () => ({ url: `${server.url}?x-api-key=${boot.secret}&api_key=${boot.secret}&apiKey=${boot.secret}`, headers: {} })],
  ];

  for (const [label, request] of cases) {
    it(`answers every admin operation with the same UNAUTHENTICATED error for ${label}`, async () => {
      for (const [name, document, variables] of adminOperations()) {
        const { url, headers } = request();
        const res = await gql(url, document, variables, { headers });
        // Nullable fields answer { field: null }, non-null ones null: no data either way.
        const leaked = Object.values((res.data ?? {}) as Record<string, unknown>).filter((v) => v !== null);
        expect({ name, codes: errorCodes(res), message: res.errors?.[0]?.message, leaked }).toEqual({
          name,
          codes: ['UNAUTHENTICATED'],
          message: 'A valid API key is required',
          leaked: [],
        });
      }
      // Nothing was changed by any of those attempts.
      const check = await gql(server.url, BusinessDocument, { id: businessA }, keyHeader(boot.secret));
      expect(check.data?.business?.name).toBe('Alpha Dental');
    });
  }

  it('accepts the key as Authorization: Bearer', async () => {
    const res = await gql(server.url, BusinessesDocument, {}, { headers: { authorization: `Bearer ${boot.secret}` } });
    expect(res.errors).toBeUndefined();
    expect(res.data?.businesses.map((b) => b.name).sort()).toEqual(['Alpha Dental', 'Beta Law']);
  });

  it('stops honouring a key on this process as soon as it is revoked', async () => {
    const key = await createKey('short-lived');
    expect(errorCodes(await gql(server.url, ApiKeysDocument, {}, keyHeader(key.secret)))).toEqual([]);
    await gql(server.url, RevokeApiKeyDocument, { id: key.id }, keyHeader(boot.secret));
    expect(errorCodes(await gql(server.url, ApiKeysDocument, {}, keyHeader(key.secret)))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('business keys', () => {
  let keyA: { id: string; secret: string };
  let keyB: { id: string; secret: string };
  beforeAll(async () => {
    keyA = await createKey('alpha admin', businessA);
    keyB = await createKey('beta admin', businessB);
  });

  it('see only their own business in businesses and apiKeys', async () => {
    const list = await gql(server.url, BusinessesDocument, {}, keyHeader(keyA.secret));
    expect(list.data?.businesses.map((b) => b.id)).toEqual([businessA]);
    const keys = await gql(server.url, ApiKeysDocument, {}, keyHeader(keyA.secret));
    expect(keys.data?.apiKeys.map((k) => k.id)).toEqual([keyA.id]);
  });

  it('may read and update their own business', async () => {
    const read = await gql(server.url, BusinessDocument, { id: businessA }, keyHeader(keyA.secret));
    expect(read.data?.business?.name).toBe('Alpha Dental');
    const upd = await gql(server.url, UpdateBusinessDocument, { id: businessA, input: { hours: 'Mon–Fri 9–5' } }, keyHeader(keyA.secret));
    expect(upd.data?.updateBusiness.hours).toBe('Mon–Fri 9–5');
  });

  it('get FORBIDDEN for anything of another business, and nothing changes', async () => {
    const attempts = [
      gql(server.url, BusinessDocument, { id: businessB }, keyHeader(keyA.secret)),
      gql(server.url, UpdateBusinessDocument, { id: businessB, input: { name: 'Hijacked' } }, keyHeader(keyA.secret)),
      gql(server.url, DeleteBusinessDocument, { id: businessB }, keyHeader(keyA.secret)),
      gql(server.url, CreateApiKeyDocument, { input: { name: 'sneaky', businessId: businessB } }, keyHeader(keyA.secret)),
      gql(server.url, RevokeApiKeyDocument, { id: keyB.id }, keyHeader(keyA.secret)),
    ];
    for (const res of await Promise.all(attempts)) expect(errorCodes(res)).toEqual(['FORBIDDEN']);
    const b = await gql(server.url, BusinessDocument, { id: businessB }, keyHeader(boot.secret));
    expect(b.data?.business?.name).toBe('Beta Law');
    const stillWorks = await gql(server.url, BusinessDocument, { id: businessB }, keyHeader(keyB.secret));
    expect(stillWorks.data?.business?.id).toBe(businessB);
  });

  it('can never create platform keys or businesses', async () => {
    const platform = await gql(server.url, CreateApiKeyDocument, { input: { name: 'escalate' } }, keyHeader(keyA.secret));
    expect(errorCodes(platform)).toEqual(['FORBIDDEN']);
    const business = await gql(server.url, CreateBusinessDocument, { input: { name: 'Mine' } }, keyHeader(keyA.secret));
    expect(errorCodes(business)).toEqual(['FORBIDDEN']);
  });

  it('may create and revoke keys of their own business', async () => {
    const created = await gql(server.url, CreateApiKeyDocument, { input: { name: 'alpha intern', businessId: businessA } }, keyHeader(keyA.secret));
    expect(created.data?.createApiKey.apiKey.businessId).toBe(businessA);
    const revoked = await gql(server.url, RevokeApiKeyDocument, { id: created.data!.createApiKey.apiKey.id }, keyHeader(keyA.secret));
    expect(revoked.data?.revokeApiKey).toBe(true);
  });
});

describe('key storage', () => {
  it('shows the secret once with a recognisable prefix and stores only its sha256 digest', async () => {
    const res = await gql(server.url, CreateApiKeyDocument, { input: { name: 'dump check' } }, keyHeader(boot.secret));
    const { secret, apiKey } = res.data!.createApiKey;
    expect(secret).toMatch(/^wpc_[A-Za-z0-9_-]{43}$/); // 32 random bytes in base64url
    expect(apiKey.prefix).toBe(secret.slice(0, 12));
    const dump = await dumpDatabase(db.url);
    expect(dump).toContain(createHash('sha256').update(secret).digest('hex'));
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain(secret.slice(12));
    const listed = await gql(server.url, ApiKeysDocument, {}, keyHeader(boot.secret));
    expect(JSON.stringify(listed.data)).not.toContain(secret);
  });

  it('records lastUsedAt in a batched write, not per request', async () => {
    const key = await createKey('usage');
    await gql(server.url, ApiKeysDocument, {}, keyHeader(key.secret));
    const before = await gql(server.url, ApiKeysDocument, {}, keyHeader(boot.secret));
    expect(before.data?.apiKeys.find((k) => k.id === key.id)?.lastUsedAt).toBeNull();
    await server.app.apiKeys.lastUsed.flush();
    const after = await gql(server.url, ApiKeysDocument, {}, keyHeader(boot.secret));
    expect(after.data?.apiKeys.find((k) => k.id === key.id)?.lastUsedAt).toEqual(expect.any(String));
  });
});

describe('npm run apikey (compiled CLI)', () => {
  const cli = (args: string[]) =>
    run('node', [path.join(ROOT, 'dist/src/auth/apikey.cli.js'), ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'development',
        DATABASE_URL: db.url,
        REDIS_URL,
        REDIS_KEY_PREFIX: server.app.config.redisKeyPrefix,
        LOG_LEVEL: 'info',
      },
    });

  beforeAll(async () => {
    await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
  }, 180_000);

  it('creates a key whose secret (last stdout line) authenticates, lists it, and revokes it', async () => {
    const created = await cli(['create', '--name', 'from the cli', '--business', businessB]);
    const lines = created.stdout.trim().split('\n');
    const secret = lines[lines.length - 1];
    expect(secret).toMatch(/^wpc_/);
    expect(lines.slice(0, -1).join('\n')).not.toContain(secret);

    const asKey = await gql(server.url, BusinessesDocument, {}, keyHeader(secret));
    expect(asKey.data?.businesses.map((b) => b.id)).toEqual([businessB]);

    const listed = await cli(['list']);
    const entries = listed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { message: string; id?: string; name?: string; prefix?: string });
    const mine = entries.find((e) => e.name === 'from the cli');
    expect(mine?.prefix).toBe(secret.slice(0, 12));
    expect(listed.stdout).not.toContain(secret);

    await cli(['revoke', mine!.id!]);
    // The revocation reaches the running server over Redis pub/sub (from the CLI process: no
    // event the test could wait on), so ask again until it has.
    let codes: string[] = [];
    for (let i = 0; i < 50; i++) {
      codes = errorCodes(await gql(server.url, BusinessesDocument, {}, keyHeader(secret)));
      if (codes[0] === 'UNAUTHENTICATED') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(codes).toEqual(['UNAUTHENTICATED']);
  });

  it('prints the sha256 digest of a secret, usable in ADMIN_API_KEY_HASHES', async () => {
    const { stdout } = await cli(['hash', boot.secret]);
    expect(stdout.trim()).toBe(boot.hash);
    // `hash -` reads the secret from stdin, keeping it out of shell history.
    const piped = spawnSync('node', [path.join(ROOT, 'dist/src/auth/apikey.cli.js'), 'hash', '-'], { input: `${boot.secret}\n`, encoding: 'utf8' });
    expect(piped.stdout.trim()).toBe(boot.hash);
  });
});

describe('logs', () => {
  it('never contain a key, whether accepted, refused or revoked, even at debug level', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = winston.createLogger({ level: 'debug', format: winston.format.json(), transports: [new winston.transports.Stream({ stream: sink })] });
    const logged = await startTestServer(testConfig(db, { ADMIN_API_KEY_HASHES: boot.hash, LOG_LEVEL: 'debug' }), { logger });
    try {
      const created = await gql(logged.url, CreateApiKeyDocument, { input: { name: 'logged' } }, keyHeader(boot.secret));
      const { secret, apiKey } = created.data!.createApiKey;
      await gql(logged.url, BusinessesDocument, {}, { headers: { authorization: `Bearer ${secret}` } });
      await gql(`${logged.url}?x-api-key=${secret}`, BusinessesDocument, {});
      await gql(logged.url, RevokeApiKeyDocument, { id: apiKey.id }, keyHeader(secret));
      await gql(logged.url, BusinessesDocument, {}, keyHeader(secret));
      await gql(logged.url, BusinessesDocument, {}, keyHeader(`${secret}x`));
      await logged.close();
      const text = lines.join('');
      expect(text).toContain('"message":"request"'); // the request log lines were captured
      for (const s of [secret, boot.secret, secret.slice(12)]) expect(text).not.toContain(s);
    } finally {
      await logged.close();
    }
  });
});
