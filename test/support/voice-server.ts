import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BusinessEntity } from '../../src/business/business.entity';
import type { VoiceModuleDeps } from '../../src/voice/voice.module';
import { startTestServer, testConfig, type TestServer } from './server';
import type { TestDatabase } from './stores';
import { RecordingVoiceTurnSink } from './voice-test-sink';

export interface VoiceTestServer extends TestServer {
  /** This server's private voice temp root (VOICE_TEMP_DIR). */
  tempRoot: string;
  sink: RecordingVoiceTurnSink;
  /** A session of a business with voiceEnabled = true. */
  sessionId: string;
  /** A session of a business with voiceEnabled = false. */
  voiceOffSessionId: string;
}

/** The real app, with its own voice temp root and the recording chat stand-in. */
export async function startVoiceServer(
  db: TestDatabase,
  env: Record<string, string | undefined> = {},
  voice: Pick<VoiceModuleDeps, 'queue' | 'transcriber'> = {},
): Promise<VoiceTestServer> {
  const tempRoot = await mkdtemp(join(tmpdir(), 'voice-test-root-'));
  const sink = new RecordingVoiceTurnSink();
  const server = await startTestServer(testConfig(db, { VOICE_TEMP_DIR: tempRoot, ...env }), { overrides: { voice: { ...voice, turns: sink } } });
  const { app } = server;
  const em = app.orm.em.fork();
  const on = em.create(BusinessEntity, { name: 'Voice On Bistro', voiceEnabled: true } as never);
  const off = em.create(BusinessEntity, { name: 'Typing Only Bakery', voiceEnabled: false } as never);
  await em.flush();
  const close = async () => {
    await server.close();
    await rm(tempRoot, { recursive: true, force: true });
  };
  return { ...server, close, tempRoot, sink, sessionId: sink.openSession(on.id), voiceOffSessionId: sink.openSession(off.id) };
}

/** Entries left in a temp root (should be none after every request). */
export async function leftovers(root: string): Promise<string[]> {
  return readdir(root);
}

/** Waits until the temp root is empty (work after a client abort ends asynchronously). */
export async function waitForEmpty(root: string, timeoutMs = 5000): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  let entries = await readdir(root);
  while (entries.length > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    entries = await readdir(root);
  }
  return entries;
}
