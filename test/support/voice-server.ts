import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'graphql-ws';
import type { BusinessEntity } from '../../src/business/business.entity';
import type { AppOverrides } from '../../src/app';
import { SessionDocument, StartSessionDocument } from '../generated/graphql';
import { seedBusiness } from './chat';
import { whenDir } from './files';
import { gql, wsClient } from './client';
import { startTestServer, testConfig, type TestServer } from './server';
import type { TestDatabase } from './stores';

export interface VoiceTestServer extends TestServer {
  /** This server's private voice temp root (VOICE_TEMP_DIR). */
  tempRoot: string;
  /** Harbor Dental (test/support/chat.ts) with voiceEnabled = true. */
  business: BusinessEntity;
  /** A session of that business. */
  sessionId: string;
  /** A session of a business with voiceEnabled = false. */
  voiceOffSessionId: string;
  /** A graphql-ws client on this server (closed by `close`). */
  ws: Client;
  /** A new session of the voice-enabled business. */
  newSession(): Promise<string>;
  /** The visitor's messages of a session, as the `session` query shows them. */
  visitorTexts(sessionId: string): Promise<string[]>;
}

/** The real app (real chat service and provider), with its own voice temp root. */
export async function startVoiceServer(
  db: TestDatabase,
  env: Record<string, string | undefined> = {},
  voice: AppOverrides['voice'] = {},
): Promise<VoiceTestServer> {
  const tempRoot = await mkdtemp(join(tmpdir(), 'voice-test-root-'));
  const server = await startTestServer(testConfig(db, { VOICE_TEMP_DIR: tempRoot, RATE_LIMIT_CHAT: 'off', ...env }), { overrides: { voice } });
  const { app, url } = server;
  const business = await seedBusiness(app, { voiceEnabled: true });
  const off = await seedBusiness(app, { name: 'Typing Only Bakery', voiceEnabled: false });
  const start = async (businessId: string) => {
    const res = await gql(url, StartSessionDocument, { businessId });
    if (!res.data) throw new Error(`startSession failed: ${JSON.stringify(res.errors)}`);
    return res.data.startSession.id;
  };
  const ws = wsClient(server.wsUrl);
  const close = async () => {
    await ws.dispose();
    await server.close();
    await rm(tempRoot, { recursive: true, force: true });
  };
  return {
    ...server,
    close,
    tempRoot,
    business,
    ws,
    sessionId: await start(business.id),
    voiceOffSessionId: await start(off.id),
    newSession: () => start(business.id),
    async visitorTexts(sessionId) {
      const res = await gql(url, SessionDocument, { id: sessionId });
      return (res.data?.session?.messages ?? []).filter((m) => m.role === 'USER').map((m) => m.text);
    },
  };
}

/** Entries left in a temp root (should be none after every request). */
export async function leftovers(root: string): Promise<string[]> {
  return readdir(root);
}

/** Waits until the temp root is empty (work after a client abort ends asynchronously). */
export async function waitForEmpty(root: string, timeoutMs = 5000): Promise<string[]> {
  return whenDir(root, () => readdir(root), (entries) => entries.length === 0, timeoutMs);
}

/** Waits until a request has its private directory under the temp root (it is receiving the upload). */
export async function waitForRequestDir(root: string, timeoutMs = 5000): Promise<string[]> {
  return whenDir(root, () => readdir(root), (entries) => entries.length > 0, timeoutMs);
}
