import type { Client as WsClient } from 'graphql-ws';
import { Client } from 'pg';
import {
  ChatAsksForContactDocument,
  ChatDocument,
  CreateApiKeyDocument,
  CreateLeadBusinessDocument,
  CreateWebhookDocument,
  DeleteLeadDocument,
  EndSessionDocument,
  LeadDocument,
  LeadsDocument,
  LeadUpdatesDocument,
  SessionContactDocument,
  StartSessionDocument,
  SubmitContactDetailsDocument,
  UpdateLeadDocument,
  type LeadUpdatesSubscription,
} from '../generated/graphql';
import { collect, errorCodes, gql, wsClient } from '../support/client';
import { ADMIN, ADMIN_HASH, ADMIN_SECRET } from '../support/knowledge';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * Leads through the real server (HTTP and WebSocket, real Postgres and Redis) with the offline
 * provider: the whole exchange is deterministic.
 */

let db: TestDatabase;
let server: TestServer;
let pg: Client;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(testConfig(db, { ADMIN_API_KEY_HASHES: ADMIN_HASH, RATE_LIMIT_CHAT: 'off', OUTBOUND_ALLOW_HOSTS: '127.0.0.1:*' }));
  pg = new Client({ connectionString: db.url });
  await pg.connect();
});

afterAll(async () => {
  await pg?.end();
  await server?.close();
  await db?.drop();
});

async function createBusiness(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await gql(server.url, CreateLeadBusinessDocument, { input: { name, primaryGoal: 'book a free consultation', ...extra } }, ADMIN);
  expect(res.errors).toBeUndefined();
  return res.data!.createBusiness.id;
}

async function startSession(businessId: string): Promise<string> {
  const res = await gql(server.url, StartSessionDocument, { businessId });
  expect(res.errors).toBeUndefined();
  return res.data!.startSession.id;
}

async function say(sessionId: string, text: string): Promise<string> {
  const res = await gql(server.url, ChatDocument, { input: { sessionId, text } });
  expect(res.errors).toBeUndefined();
  return res.data!.chat.text;
}

/** A turn's reply text and its contact flag (ChatMessage.asksForContact). */
async function turn(sessionId: string, text: string): Promise<{ text: string; asksForContact: string | null | undefined }> {
  const res = await gql(server.url, ChatAsksForContactDocument, { input: { sessionId, text } });
  expect(res.errors).toBeUndefined();
  return res.data!.chat;
}

async function leadsOf(businessId: string, headers: { headers: Record<string, string> } = ADMIN) {
  const res = await gql(server.url, LeadsDocument, { businessId }, headers);
  expect(res.errors).toBeUndefined();
  return res.data!.leads.nodes;
}

async function businessKey(businessId: string): Promise<{ headers: Record<string, string> }> {
  const res = await gql(server.url, CreateApiKeyDocument, { input: { name: `key for ${businessId}`, businessId } }, ADMIN);
  expect(res.errors).toBeUndefined();
  return { headers: { 'x-api-key': res.data!.createApiKey.secret } };
}

describe('a visitor becomes a lead (offline provider, real server)', () => {
  it('asks for the name on intent, stores "I\'m Ana, ana@example.com", never asks again, ignores a later mention, takes a correction', async () => {
    const businessId = await createBusiness('Harbor Dental', { privacyStatement: 'We only use your details to get back to you.' });
    const sessionId = await startSession(businessId);

    // No intent yet: the reply asks for nothing, and is not flagged.
    expect(await turn(sessionId, 'Do you do whitening?')).toMatchObject({ asksForContact: null });
    // Intent: the reply asks for the first required field and is flagged with it.
    expect(await turn(sessionId, "I'd like to book")).toEqual({
      text: "I'd be glad to help with that. We only use your details to get back to you. May I have your name?",
      asksForContact: 'NAME',
    });
    expect(await leadsOf(businessId)).toEqual([]);

    // Every required field given: nothing is asked any more.
    expect(await turn(sessionId, "I'm Ana, ana@example.com")).toEqual({
      text: "Thanks, Ana! I've noted your email address ana@example.com. What happens next: the Harbor Dental team will be in touch to book a free consultation.",
      asksForContact: null,
    });
    const [lead] = await leadsOf(businessId);
    expect(lead).toMatchObject({ businessId, sessionId, name: 'Ana', email: 'ana@example.com', phone: null, status: 'NEW', source: 'CHAT' });
    expect(lead.consentAt).not.toBeNull();

    // Locked: never asked again, a passing mention does not overwrite it.
    const later = await say(sessionId, 'I would like to book a cleaning, my email is ana.other@example.com');
    expect(later).not.toMatch(/your name\?|email address to reach you\?/);
    expect(later).toContain('I already have your email address as ana@example.com');
    expect((await leadsOf(businessId))[0].email).toBe('ana@example.com');

    // An explicit correction changes it and is kept in the history.
    expect(await say(sessionId, 'Actually my email is ana@work.example')).toContain("I've updated your email address to ana@work.example.");
    const res = await gql(server.url, LeadDocument, { id: lead.id }, ADMIN);
    expect(res.data!.lead).toMatchObject({ id: lead.id, email: 'ana@work.example', name: 'Ana' });
    expect(res.data!.lead!.history.map((h) => [h.field, h.from, h.to, h.by])).toEqual([
      ['NAME', null, 'Ana', 'VISITOR'],
      ['EMAIL', null, 'ana@example.com', 'VISITOR'],
      ['EMAIL', 'ana@example.com', 'ana@work.example', 'VISITOR'],
    ]);
    expect(await leadsOf(businessId)).toHaveLength(1); // one lead per session

    // The visitor sees their own details through their session.
    const own = await gql(server.url, SessionContactDocument, { id: sessionId });
    expect(own.data!.session!.contactDetails).toEqual({ name: 'Ana', email: 'ana@work.example', phone: null });
  });

  it('the widget form: an invalid phone stores nothing from that submission, consent false is refused, a valid one lands in the same lead', async () => {
    const businessId = await createBusiness('Form Dental', { defaultPhoneRegion: 'GB', requiredContactFields: ['NAME', 'PHONE'] });
    const sessionId = await startSession(businessId);

    const invalid = await gql(server.url, SubmitContactDetailsDocument, { sessionId, input: { name: 'Bea', email: 'bea@example.com', phone: '07700 900123', consent: true } });
    expect(errorCodes(invalid)).toEqual(['BAD_USER_INPUT']);
    expect(invalid.errors![0].message).toContain('not a valid phone number in GB');
    const noConsent = await gql(server.url, SubmitContactDetailsDocument, { sessionId, input: { name: 'Bea', consent: false } });
    expect(errorCodes(noConsent)).toEqual(['BAD_USER_INPUT']);
    expect(await leadsOf(businessId)).toEqual([]);
    expect((await gql(server.url, SessionContactDocument, { id: sessionId })).data!.session!.contactDetails).toBeNull();

    const ok = await gql(server.url, SubmitContactDetailsDocument, { sessionId, input: { name: 'Bea', phone: '020 7946 0958', consent: true } });
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.submitContactDetails).toMatchObject({ name: 'Bea', phone: '+442079460958', source: 'FORM', sessionId });
    // The chat knows what the form gave: nothing left to ask.
    expect(await say(sessionId, 'Can I book a check-up?')).toContain('What happens next');
    expect(await leadsOf(businessId)).toHaveLength(1);
  });

  it('pages newest first, filters by status, and admins update and delete leads (delivery payloads erased)', async () => {
    const businessId = await createBusiness('Paged Dental');
    const hook = await gql(server.url, CreateWebhookDocument, { input: { businessId, url: 'http://127.0.0.1:9/hook', events: ['LEAD_CREATED', 'LEAD_UPDATED'] } }, ADMIN);
    expect(hook.errors).toBeUndefined();
    const ids: string[] = [];
    for (const name of ['Ana', 'Bea', 'Cid']) {
      const sessionId = await startSession(businessId);
      ids.push((await gql(server.url, SubmitContactDetailsDocument, { sessionId, input: { name, consent: true } })).data!.submitContactDetails.id);
    }
    const first = await gql(server.url, LeadsDocument, { businessId, first: 2 }, ADMIN);
    expect(first.data!.leads.nodes.map((l) => l.name)).toEqual(['Cid', 'Bea']);
    expect(first.data!.leads.pageInfo.hasNextPage).toBe(true);
    const second = await gql(server.url, LeadsDocument, { businessId, first: 2, after: first.data!.leads.pageInfo.endCursor }, ADMIN);
    expect(second.data!.leads.nodes.map((l) => l.name)).toEqual(['Ana']);
    expect(second.data!.leads.pageInfo.hasNextPage).toBe(false);

    const updated = await gql(server.url, UpdateLeadDocument, { id: ids[1], input: { status: 'QUALIFIED', notes: 'wants implants', email: 'BEA@Example.com' } }, ADMIN);
    expect(updated.data!.updateLead).toMatchObject({ status: 'QUALIFIED', notes: 'wants implants', email: 'bea@example.com' });
    const bad = await gql(server.url, UpdateLeadDocument, { id: ids[1], input: { phone: '12' } }, ADMIN);
    expect(errorCodes(bad)).toEqual(['BAD_USER_INPUT']);
    const qualified = await gql(server.url, LeadsDocument, { businessId, status: 'QUALIFIED' }, ADMIN);
    expect(qualified.data!.leads.nodes.map((l) => l.id)).toEqual([ids[1]]);

    const before = await pg.query('select count(*)::int as n from webhook_deliveries where lead_id = $1 and body is not null', [ids[1]]);
    expect(before.rows[0].n).toBe(2); // lead.created + lead.updated
    expect((await gql(server.url, DeleteLeadDocument, { id: ids[1] }, ADMIN)).data!.deleteLead).toBe(true);
    expect((await gql(server.url, LeadDocument, { id: ids[1] }, ADMIN)).data!.lead).toBeNull();
    const after = await pg.query('select count(*)::int as n, count(body)::int as bodies from webhook_deliveries where lead_id = $1', [ids[1]]);
    expect(after.rows[0]).toEqual({ n: 2, bodies: 0 });
    expect(errorCodes(await gql(server.url, DeleteLeadDocument, { id: ids[1] }, ADMIN))).toEqual(['NOT_FOUND']);
  });

  it('endSession erases the visitor\'s lead with the session', async () => {
    const businessId = await createBusiness('Erased Dental');
    const sessionId = await startSession(businessId);
    await say(sessionId, "I'm Ana, ana@example.com");
    expect(await leadsOf(businessId)).toHaveLength(1);
    expect((await gql(server.url, EndSessionDocument, { id: sessionId })).data!.endSession).toBe(true);
    expect(await leadsOf(businessId)).toEqual([]);
  });
});

describe('tenancy', () => {
  it('a business key sees its own leads only: another business\'s are FORBIDDEN, and no key is UNAUTHENTICATED', async () => {
    const mine = await createBusiness('Mine');
    const theirs = await createBusiness('Theirs');
    const theirSession = await startSession(theirs);
    const theirLead = (await gql(server.url, SubmitContactDetailsDocument, { sessionId: theirSession, input: { name: 'Zed', consent: true } })).data!.submitContactDetails;
    const mySession = await startSession(mine);
    await gql(server.url, SubmitContactDetailsDocument, { sessionId: mySession, input: { name: 'Me', consent: true } });
    const key = await businessKey(mine);

    expect((await leadsOf(mine, key)).map((l) => l.name)).toEqual(['Me']);
    expect(errorCodes(await gql(server.url, LeadsDocument, { businessId: theirs }, key))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(server.url, LeadDocument, { id: theirLead.id }, key))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(server.url, UpdateLeadDocument, { id: theirLead.id, input: { status: 'LOST' } }, key))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(server.url, DeleteLeadDocument, { id: theirLead.id }, key))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(server.url, LeadsDocument, { businessId: mine }))).toEqual(['UNAUTHENTICATED']);
    expect((await gql(server.url, LeadDocument, { id: theirLead.id }, ADMIN)).data!.lead!.name).toBe('Zed');

    const ws = wsClient(server.wsUrl, { 'x-api-key': key.headers['x-api-key'] });
    try {
      const refused = await collect(ws, LeadUpdatesDocument, { businessId: theirs });
      expect(refused.results.flatMap((r) => errorCodes({ errors: r.errors })).concat(refused.error ? ['ERROR'] : [])).toContain('FORBIDDEN');
    } finally {
      await ws.dispose();
    }
  });
});

describe('leadUpdates over graphql-ws', () => {
  it('pushes every create and update of the business\'s leads, and nothing of another business', async () => {
    const businessId = await createBusiness('Live Dental');
    const other = await createBusiness('Other Dental');
    const ws: WsClient = wsClient(server.wsUrl, { 'x-api-key': ADMIN_SECRET });
    const seen: Array<LeadUpdatesSubscription['leadUpdates']> = [];
    let resolveTwo: () => void = () => undefined;
    const two = new Promise<void>((resolve) => (resolveTwo = resolve));
    try {
      const running = collect(ws, LeadUpdatesDocument, { businessId }, (value) => {
        if (value.data) seen.push(value.data.leadUpdates);
        if (seen.length === 2) resolveTwo();
      });
      // No event to wait on until the subscription is registered: look at the service's count.
      while (server.app.leads.service.watching(businessId) === 0) await new Promise((r) => setTimeout(r, 10));

      await gql(server.url, SubmitContactDetailsDocument, { sessionId: await startSession(other), input: { name: 'Nope', consent: true } });
      const sessionId = await startSession(businessId);
      await say(sessionId, "I'm Ana, ana@example.com");
      await say(sessionId, 'Actually my email is ana@work.example');
      await two;
      expect(seen.map((l) => [l.name, l.email, l.businessId])).toEqual([
        ['Ana', 'ana@example.com', businessId],
        ['Ana', 'ana@work.example', businessId],
      ]);
      await ws.dispose();
      await running;
    } finally {
      await ws.dispose();
    }
  });
});
