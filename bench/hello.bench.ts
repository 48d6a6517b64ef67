import 'reflect-metadata';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { buildApp } from '../src/app';
import { loadConfig } from '../src/config/config';
import { createSilentLogger } from '../src/observability/logger';

/**
 * `npm run bench -- hello` (wired in bench/run.ts as `hello: runHelloBench`; on its own:
 * `node dist/bench/hello.bench.js`): requests per second for `{ serverInfo { name } }` through the full
 * server (buildApp: Fastify + Apollo + plugins + logging) against a bare Fastify route that
 * returns the same JSON, measured in the same run, with the server in a child process and
 * the load (keep-alive, CONCURRENCY connections) from this one. Uses the development
 * DATABASE_URL/REDIS_URL (run `npm run migrate` first). Prints one JSON line per target and
 * the ratio. Numbers depend on the machine; compare within one run only.
 */

const DURATION_MS = 5_000;
const WARMUP_MS = 1_000;
const CONCURRENCY = 32;
const QUERY = JSON.stringify({ query: '{ serverInfo { name } }' });

async function serve(kind: 'full' | 'bare'): Promise<void> {
  let listen: () => Promise<AddressInfo>;
  if (kind === 'full') {
    const config = { ...loadConfig(), logLevel: 'error' };
    const app = await buildApp(config, { logger: createSilentLogger() });
    listen = async () => {
      await app.fastify.listen({ port: 0, host: '127.0.0.1' });
      return app.fastify.server.address() as AddressInfo;
    };
  } else {
    const fastify = Fastify({ logger: false });
    fastify.post('/graphql', async () => ({ data: { serverInfo: { name: 'WarmProspect Concierge' } } }));
    listen = async () => {
      await fastify.listen({ port: 0, host: '127.0.0.1' });
      return fastify.server.address() as AddressInfo;
    };
  }
  const address = await listen();
  process.stdout.write(`${address.port}\n`);
}

function load(port: number, ms: number): Promise<{ requests: number; errors: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let requests = 0;
  let errors = 0;
  const end = Date.now() + ms;
  const one = () =>
    new Promise<void>((resolve) => {
      const req = http.request(
        { host: '127.0.0.1', port, path: '/graphql', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': QUERY.length } },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 200) requests++;
            else errors++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(QUERY);
    });
  const worker = async () => {
    while (Date.now() < end) await one();
  };
  return Promise.all(Array.from({ length: CONCURRENCY }, worker)).then(() => {
    agent.destroy();
    return { requests, errors };
  });
}

async function measure(kind: 'full' | 'bare', durationMs: number): Promise<number> {
  const child = spawn(process.execPath, [__filename, 'serve', kind], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
    });
    await load(port, WARMUP_MS);
    const { requests, errors } = await load(port, durationMs);
    const rps = Math.round(requests / (durationMs / 1000));
    process.stdout.write(`${JSON.stringify({ target: kind, requestsPerSecond: rps, errors, concurrency: CONCURRENCY, durationMs })}\n`);
    return rps;
  } finally {
    child.kill('SIGKILL');
  }
}

/** Runs the full server and the bare route one after the other and prints the ratio. */
export async function runHelloBench(durationMs = DURATION_MS): Promise<void> {
  const full = await measure('full', durationMs);
  const bare = await measure('bare', durationMs);
  process.stdout.write(`${JSON.stringify({ fullOverBare: Math.round((full / bare) * 100) / 100 })}\n`);
}

// Executed directly: `serve full|bare` is the child's entry; anything else runs the bench.
if (require.main === module) {
  const [mode, arg] = process.argv.slice(2);
  const run = mode === 'serve' ? serve(arg === 'bare' ? 'bare' : 'full') : runHelloBench(Number(mode ?? DURATION_MS) || DURATION_MS);
  run.catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
