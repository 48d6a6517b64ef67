import { createServer, type AddressInfo } from 'node:net';
import { Client } from 'pg';
import { ChildServer, freePort, MAIN_JS, spawnServer } from '../support/process';
import { PG_BASE, REDIS_URL, uniqueName } from '../support/stores';

/**
 * The compiled server (`node dist/src/main.js`) refuses to run in a broken state: an invalid
 * variable or an unreachable store ends the process with one JSON log line that says why,
 * and never prints a secret.
 */

const GEMINI_SECRET = 'gemini-secret-value-9f8e7d6c5b4a';
const children: ChildServer[] = [];

afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.stop()));
});

// A failed start exits in a few seconds; the bound is wide because CI runs this file on a loaded
// two-core machine, where starting Node with the whole server takes several seconds by itself.
async function runToExit(env: Record<string, string>, timeoutMs = 25_000) {
  const child = spawnServer({ LLM_PROVIDER: 'offline', GEMINI_API_KEY: GEMINI_SECRET, ...env });
  children.push(child);
  const exit = await child.waitForExit(timeoutMs);
  return { ...exit, lines: child.lines.filter((l) => l.trim() !== ''), logs: child.logs };
}

describe('configuration errors', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ['a PORT that is not a number', { PORT: 'abc' }, 'PORT'],
    ['a RATE_LIMIT_CHAT with an unknown unit', { RATE_LIMIT_CHAT: '7/day' }, 'RATE_LIMIT_CHAT'],
    [
      'production without DATABASE_URL',
      { NODE_ENV: 'production', REDIS_URL: 'redis://127.0.0.1:6379', ALLOWED_ORIGINS: 'https://a.example' },
      'DATABASE_URL',
    ],
    [
      'ALLOWED_ORIGINS=* in production',
      { NODE_ENV: 'production', DATABASE_URL: 'postgres://u@127.0.0.1/x', REDIS_URL: 'redis://127.0.0.1:6379', ALLOWED_ORIGINS: '*' },
      'ALLOWED_ORIGINS',
    ],
    ['a malformed ADMIN_API_KEY_HASHES', { ADMIN_API_KEY_HASHES: 'not-a-digest-SECRETISH' }, 'ADMIN_API_KEY_HASHES'],
    ['a DATABASE_URL that is not a URL', { DATABASE_URL: 'pg-password-in-here' }, 'DATABASE_URL'],
  ];

  it.each(cases)('exits 1 on %s with one JSON line naming the variable and no secret', async (_name, env, variable) => {
    const result = await runToExit(env);
    expect(result.code).toBe(1);
    expect(result.lines).toHaveLength(1);
    const line = JSON.parse(result.lines[0]) as { level: string; message: string; variable?: string };
    expect(line.level).toBe('error');
    expect(line.variable).toBe(variable);
    expect(line.message).toContain(variable);
    const output = result.lines.join('\n');
    expect(output).not.toContain(GEMINI_SECRET);
    for (const value of Object.values(env)) {
      // Values of secret variables are never echoed back.
      if (/SECRETISH|password/.test(value)) expect(output).not.toContain(value);
    }
  });
});

describe('unreachable stores at start', () => {
  it('exits non-zero within 10 s with one line naming Redis when Redis is unreachable', async () => {
    const closed = await freePort();
    const result = await runToExit({ NODE_ENV: 'development', REDIS_URL: `redis://127.0.0.1:${closed}`, DATABASE_URL: `${PG_BASE}/postgres` }, 12_000);
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.afterMs).toBeLessThan(10_000);
    expect(result.lines).toHaveLength(1);
    const line = JSON.parse(result.lines[0]) as { level: string; message: string; store?: string };
    expect(line.level).toBe('error');
    expect(line.message).toMatch(/Redis/);
    expect(line.store).toBe('Redis');
    expect(result.lines[0]).not.toContain(GEMINI_SECRET);
  });

  it('exits non-zero within 10 s with one line naming Postgres when Postgres is unreachable', async () => {
    const closed = await freePort();
    const result = await runToExit(
      { NODE_ENV: 'development', REDIS_URL, DATABASE_URL: `postgres://postgres:pg-secret-pw@127.0.0.1:${closed}/concierge` },
      12_000,
    );
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.afterMs).toBeLessThan(10_000);
    expect(result.lines).toHaveLength(1);
    const line = JSON.parse(result.lines[0]) as { level: string; message: string; store?: string };
    expect(line.message).toMatch(/Postgres/);
    expect(line.store).toBe('Postgres');
    expect(result.lines[0]).not.toContain('pg-secret-pw');
  });

  it('exits non-zero naming Postgres when the database does not exist', async () => {
    // The server must not create a missing database (MikroORM's ensureDatabase is on by default).
    const missing = uniqueName('concierge_missing');
    const result = await runToExit({ NODE_ENV: 'development', REDIS_URL, DATABASE_URL: `${PG_BASE}/${missing}` }, 12_000);
    expect(result.code).not.toBe(0);
    expect(result.lines).toHaveLength(1);
    expect(JSON.parse(result.lines[0])).toMatchObject({ level: 'error', store: 'Postgres' });
    const admin = new Client({ connectionString: `${PG_BASE}/postgres` });
    await admin.connect();
    try {
      const found = await admin.query('select 1 from pg_database where datname = $1', [missing]);
      expect(found.rowCount).toBe(0);
    } finally {
      await admin.end();
    }
  });
});

describe('npm run migrate (dist/src/db/migrate.cli.js up)', () => {
  const MIGRATE_JS = MAIN_JS.replace(/main\.js$/, 'db/migrate.cli.js');

  async function databaseExists(name: string): Promise<boolean> {
    const admin = new Client({ connectionString: `${PG_BASE}/postgres` });
    await admin.connect();
    try {
      return (await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;
    } finally {
      await admin.end();
    }
  }

  async function migrate(env: Record<string, string>) {
    const child = new ChildServer(MIGRATE_JS, { LOG_LEVEL: 'info', ...env }, ['up']);
    children.push(child);
    const exit = await child.waitForExit(30_000);
    return { code: exit.code, logs: child.logs };
  }

  it('creates a missing database outside production, migrates it, and is a no-op the second time', async () => {
    const name = uniqueName('concierge_migrate');
    const url = `${PG_BASE}/${name}`;
    try {
      const first = await migrate({ NODE_ENV: 'development', DATABASE_URL: url });
      expect(first.code).toBe(0);
      expect(await databaseExists(name)).toBe(true);
      expect(first.logs.find((l) => l.message === 'migrations applied')?.count).toBeGreaterThan(0);
      const second = await migrate({ NODE_ENV: 'development', DATABASE_URL: url });
      expect(second.code).toBe(0);
      expect(second.logs.find((l) => l.message === 'migrations applied')?.count).toBe(0);
    } finally {
      const admin = new Client({ connectionString: `${PG_BASE}/postgres` });
      await admin.connect();
      await admin.query(`drop database if exists "${name}" with (force)`).finally(() => admin.end());
    }
  });

  it('does not create a missing database in production, and exits 1 saying so', async () => {
    const name = uniqueName('concierge_migrate');
    const result = await migrate({
      NODE_ENV: 'production',
      DATABASE_URL: `${PG_BASE}/${name}`,
      REDIS_URL,
      ALLOWED_ORIGINS: 'https://a.example',
    });
    expect(result.code).toBe(1);
    expect(result.logs).toEqual([expect.objectContaining({ level: 'error', error: expect.stringContaining('does not exist') })]);
    expect(await databaseExists(name)).toBe(false);
  });
});

describe('listen errors', () => {
  it('exits 1 with one JSON line when the port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const result = await runToExit({ NODE_ENV: 'development', HOST: '127.0.0.1', PORT: String(port), REDIS_URL, DATABASE_URL: `${PG_BASE}/postgres` });
      expect(result.code).toBe(1);
      // Every line is JSON; the one error is the listen error. (This database is not migrated,
      // so the business-origins loader may also warn that it could not read the table.)
      const lines = result.lines.map((l) => JSON.parse(l) as { level: string });
      expect(lines.filter((l) => l.level === 'error')).toEqual([expect.objectContaining({ level: 'error', code: 'EADDRINUSE', message: expect.stringContaining(`${port}`) })]);
      expect(lines.every((l) => l.level === 'error' || l.level === 'warn')).toBe(true);
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });
});
