import { buildCore, type Core, type CoreOverrides } from '../../src/core';
import type { ReplyChunkRecord } from '../../src/chat/chat.records';
import type { Principal } from '../../src/common/principal';
import { InlineJobQueue } from '../../src/jobs/inline.queue';
import { createSilentLogger } from '../../src/observability/logger';
import { testConfig } from './server';
import type { TestDatabase } from './stores';

/** An admin key of the platform, as the auth checker would hand it to a service. */
export const PLATFORM: Principal = { kind: 'platform', keyId: null };

/** A visitor without a browser Origin (what a server-side caller or curl sends). */
export const NO_ORIGIN = { origin: null };

export interface TestCore extends Core {
  /** Resolves once every job queued so far (and any they queue) has settled. */
  drainJobs(): Promise<void>;
}

/**
 * Every store and service of the app, without HTTP (`buildCore`): the test file's own database,
 * its own Redis key prefix, the offline provider and the inline job queue unless `env` says
 * otherwise. For the common change this is enough, and it starts in a fraction of the time
 * the HTTP server takes.
 */
export async function startTestCore(db: TestDatabase, env: Record<string, string | undefined> = {}, overrides: CoreOverrides = {}): Promise<TestCore> {
  const config = testConfig(db, { JOB_DRIVER: 'inline', JOB_BACKOFF_MS: '10', ...env });
  const core = await buildCore(config, { logger: createSilentLogger(), ...overrides });
  return Object.assign(core, {
    async drainJobs() {
      if (!(core.jobs instanceof InlineJobQueue)) throw new Error('drainJobs needs JOB_DRIVER=inline');
      await core.jobs.drain();
    },
  });
}

/** Reads a reply stream to its done chunk; the text is the deltas joined. */
export async function readReply(core: Core, replyId: string): Promise<{ text: string; final: ReplyChunkRecord; chunks: ReplyChunkRecord[] }> {
  const chunks: ReplyChunkRecord[] = [];
  for await (const chunk of await core.chat.service.replyStream(replyId)) {
    chunks.push(chunk);
    if (chunk.done) return { text: chunks.filter((c) => !c.done).map((c) => c.delta).join(''), final: chunk, chunks };
  }
  throw new Error(`reply ${replyId} ended without a done chunk`);
}
