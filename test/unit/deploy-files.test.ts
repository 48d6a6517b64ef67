import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { CONFIG_VARIABLES } from '../../src/config/config';

/**
 * What can be checked of the container files without a Docker engine: the compose topology
 * (stores with healthchecks, one-shot migrate before api and worker), no secret written
 * inline, every file the Dockerfile copies exists, and the env documentation is complete.
 * `.ci/image-smoke` runs the final stage's steps for real (npm ci --omit=dev, migrate, start).
 */

const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  env_file?: string | string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test?: unknown; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;

describe('docker-compose.yml', () => {
  it('has postgres, redis, migrate, api and worker', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'migrate', 'postgres', 'redis', 'worker']);
  });

  it('keeps Postgres and Redis data on volumes, Redis with append-only persistence', () => {
    expect(services.postgres.image).toMatch(/^postgres:1[56]/);
    expect(services.postgres.volumes?.[0]).toMatch(/^postgres-data:/);
    expect(services.redis.command).toEqual(expect.arrayContaining(['redis-server', '--appendonly', 'yes']));
    expect(services.redis.volumes?.[0]).toMatch(/^redis-data:\/data$/);
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['postgres-data', 'redis-data']));
  });

  it('bounds Redis memory and evicts only keys with a TTL (maxmemory + volatile-lru)', () => {
    const command = services.redis.command as string[];
    const at = (flag: string) => command[command.indexOf(flag) + 1];
    expect(command).toContain('--maxmemory');
    expect(at('--maxmemory')).toMatch(/^(\$\{REDIS_MAXMEMORY:-)?\d+(mb|gb)\}?$/);
    expect(at('--maxmemory-policy')).toBe('volatile-lru');
  });

  it('gives both stores a healthcheck', () => {
    expect(services.postgres.healthcheck?.test).toBeDefined();
    expect(services.redis.healthcheck?.test).toBeDefined();
  });

  it('runs migrations once, after Postgres is healthy, with the migrate CLI', () => {
    expect(services.migrate.command).toEqual(['node', 'dist/src/db/migrate.cli.js', 'up']);
    expect(services.migrate.restart).toBe('no');
    expect(services.migrate.depends_on?.postgres).toEqual({ condition: 'service_healthy' });
  });

  it.each(['api', 'worker'])('starts %s only after migrate succeeded and both stores are healthy', (name) => {
    expect(services[name].depends_on).toEqual({
      migrate: { condition: 'service_completed_successfully' },
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
  });

  it('publishes the api on 4000 and runs the api and worker entries', () => {
    expect(services.api.ports).toEqual(['4000:4000']);
    expect(services.api.command).toEqual(['node', 'dist/src/main.js']);
    expect(services.worker.command).toEqual(['node', 'dist/src/worker.js']);
  });

  it('configures the app services from .env', () => {
    for (const name of ['migrate', 'api', 'worker']) expect(services[name].env_file).toBe('.env');
  });

  it('writes no secret inline: secret-like values are ${...} interpolations', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/PASSWORD|SECRET|KEY|TOKEN/.test(key)) expect(`${name}.${key}=${value}`).toMatch(/=\$\{[A-Z_]+(:\?[^}]*)?\}$/);
        // A URL with credentials takes its password from .env too.
        const password = /^[a-z]+:\/\/[^:/@]+:([^@]+)@/.exec(value)?.[1];
        if (password) expect(password).toMatch(/^\$\{[A-Z_]+(:\?[^}]*)?\}$/);
      }
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const final = stages[stages.length - 1];

  it('is multi-stage and builds with dev dependencies in the first stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]).toMatch(/RUN npm ci\b/);
    expect(stages[0]).toMatch(/RUN npm run build/);
  });

  it('ships production dependencies only, as a non-root user, with a HEALTHCHECK and the api CMD', () => {
    expect(final).toMatch(/^node:20-bookworm-slim\b/);
    expect(final).toMatch(/npm ci --omit=dev/);
    expect(final).toMatch(/^USER (?!root\b|0\b)\S+/m);
    expect(final).toMatch(/^HEALTHCHECK .*\n?.*\/healthz/m);
    expect(final).toMatch(/^CMD \["node", ?"dist\/src\/main\.js"\]$/m);
    expect(final).toMatch(/apt-get install -y --no-install-recommends ffmpeg pocketsphinx pocketsphinx-en-us/);
  });

  it('builds the embeddable widget (widget/ → dist/widget/widget.js) before the build, and ships dist', () => {
    const build = stages[0];
    expect(build.indexOf('COPY widget ./widget')).toBeGreaterThan(-1);
    expect(build.indexOf('COPY widget ./widget')).toBeLessThan(build.indexOf('RUN npm run build'));
    expect(JSON.parse(read('package.json')).scripts.build).toContain('widget/build.mjs');
    // build.mjs only warns when esbuild is missing; the image's build fails instead.
    expect(build).toMatch(/^RUN npm run build && test -s dist\/widget\/widget\.js$/m);
    expect(final).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
  });

  it('bakes in no secret (no ENV/ARG with a secret-like name)', () => {
    expect(dockerfile).not.toMatch(/^(ENV|ARG)\s+\S*(PASSWORD|SECRET|API_KEY|TOKEN|DATABASE_URL|REDIS_URL)/im);
  });

  it('copies only files that exist', () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((m) => m[1].trim().split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(existsSync(path.join(ROOT, source)) ? source : `missing: ${source}`).toBe(source);
  });

  it('does not let .dockerignore drop a file it copies', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'));
    for (const source of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'widget', 'migrations']) {
      expect(ignored).not.toContain(source);
    }
  });
});

describe('configuration documentation', () => {
  it('lists every variable the server reads in .env.example', () => {
    const example = read('.env.example');
    const missing = CONFIG_VARIABLES.filter((v) => !new RegExp(`^#? ?${v}=`, 'm').test(example));
    expect(missing).toEqual([]);
  });

  it("documents every variable the server reads in docs/API.md's env table", () => {
    const contract = read('docs/API.md');
    const missing = CONFIG_VARIABLES.filter((v) => !contract.includes(`\`${v}\``));
    expect(missing).toEqual([]);
  });
});
