import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { readmeCodeBlock } from '../support/readme';
import { assertBuilt, ChildServer, freePort, MAIN_JS, spawnServer } from '../support/process';
import { createTestDatabase, REDIS_URL, uniqueName, type TestDatabase } from '../support/stores';

/**
 * README's "Five minutes" block runs as written, in bash, against the compiled api and worker
 * (what `npm run start:all` starts): the key from `npm run apikey`, the business, the document
 * the worker indexes, the demo page URL, a grounded chat answer with its source, and the
 * `services` CTA of the block's own tree. Only the server address is changed (a free port).
 */

const ROOT = path.resolve(__dirname, '../..');
const WORKER_JS = path.join(path.dirname(MAIN_JS), 'worker.js');
const run = promisify(execFile);

let db: TestDatabase;
let port: number;
let env: Record<string, string>;
const children: ChildServer[] = [];

beforeAll(async () => {
  assertBuilt();
  db = await createTestDatabase();
  port = await freePort();
  env = {
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: db.url,
    REDIS_URL,
    REDIS_KEY_PREFIX: `${uniqueName('readme')}:`,
    LLM_PROVIDER: 'offline',
  };
  const api = spawnServer(env);
  const worker = new ChildServer(WORKER_JS, env);
  children.push(api, worker);
  await Promise.all([api.waitForLog((l) => l.message === 'listening', 30_000), worker.waitForLog((l) => l.message === 'worker started', 30_000)]);
});

afterAll(async () => {
  await Promise.all(children.map((c) => c.stop()));
  await db?.drop();
});

describe('README five-minute walkthrough', () => {
  it('creates a key, a business and a document, and chats with answers from them', async () => {
    const script = readmeCodeBlock('## Five minutes', 'bash').replaceAll('http://localhost:4000', `http://127.0.0.1:${port}`);
    expect(script).not.toContain('localhost:4000');
    const { stdout } = await run('bash', ['-c', script], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
      timeout: 90_000,
    });
    const business = /^business ([0-9a-f-]{36})$/m.exec(stdout)?.[1];
    expect(business).toBeDefined();
    expect(stdout).toContain('"title":"Parking","indexedAt":"');
    expect(stdout).toContain('"text":"Free parking for patients is behind the building, entrance on Mill Lane.","sources":[{"title":"Parking"}]');
    expect(stdout).toContain('"text":"check-ups, implants, teeth whitening. May I have your name?"');
    expect(stdout).not.toContain('"errors"');

    const demoUrl = new RegExp(`^(http://127\\.0\\.0\\.1:${port}/widget/demo\\?businessId=${business})$`, 'm').exec(stdout)?.[1];
    expect(demoUrl).toBeDefined();
    const demo = await fetch(demoUrl!);
    expect(demo.status).toBe(200);
    expect(await demo.text()).toContain(`data-business-id="${business}"`);
  }, 120_000);
});
