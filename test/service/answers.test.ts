import { seedBusiness } from '../support/chat';
import { NO_ORIGIN, PLATFORM, readReply, startTestCore, type TestCore } from '../support/core';
import { FakeGemini } from '../support/fake-gemini';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * Answers through the chat service (no HTTP): the profile is searchable knowledge, paraphrases
 * find their passage through WordNet, and a reply that cannot be grounded carries no sources —
 * offline, and with Gemini (the real SDK against the fake Gemini wire) when the model says so.
 */

let db: TestDatabase;
let core: TestCore;

beforeAll(async () => {
  db = await createTestDatabase();
  core = await startTestCore(db);
});

afterAll(async () => {
  await core?.close();
  await db?.drop();
});

async function ask(businessId: string, text: string) {
  const { id } = await core.chat.service.startSession(businessId, NO_ORIGIN);
  const receipt = await core.chat.service.sendMessage({ sessionId: id, text }, NO_ORIGIN);
  return readReply(core, receipt.replyId);
}

describe('answers from the profile', () => {
  it('answers "What time is check-in?" from the hours, citing the profile', async () => {
    const b = await seedBusiness(core, { name: 'Quay Rooms', hours: 'Check-in from 3pm, check-out by 11am.', faqs: [] });
    const { text, final } = await ask(b.id, 'What time is check-in?');
    expect(text).toBe('Check-in from 3pm, check-out by 11am.');
    expect(final.message!.sources.map((s) => s.documentId)).toContain(`profile:${b.id}:hours`);
  });

  it('follows updateBusiness at once: the next answer has the new hours', async () => {
    const b = await seedBusiness(core, { name: 'Moving Hours', hours: 'We open at 9am every day.', faqs: [] });
    expect((await ask(b.id, 'When do you open?')).text).toContain('9am');
    await core.businessService.update(PLATFORM, b.id, { hours: 'We open at 10am every day.' });
    expect((await ask(b.id, 'When do you open?')).text).toContain('10am');
  });

  it('finds the services passage for a question about them', async () => {
    const b = await seedBusiness(core, { name: 'Latte Place', services: ['Sourdough bread', 'Coffee'], faqs: [] });
    const hits = await core.knowledge.service.search(PLATFORM, b.id, 'Do you serve coffee?', 5);
    expect(hits[0]).toMatchObject({ documentId: `profile:${b.id}:services`, title: 'Services we offer' });
  });
});

describe('paraphrases', () => {
  it('finds "Dogs are welcome" for "Can I bring my puppy along?" (WordNet: puppy → dog)', async () => {
    const b = await seedBusiness(core, { name: 'Pet Stay', services: [], hours: null, location: null, faqs: [] });
    const doc = await core.knowledge.service.addDocument(PLATFORM, { businessId: b.id, title: 'Pets', content: 'Dogs are welcome in our ground-floor rooms for £10 per night.' });
    await core.drainJobs();
    const hits = await core.knowledge.service.search(PLATFORM, b.id, 'Can I bring my puppy along?', 5);
    expect(hits.map((h) => h.documentId)).toEqual([doc.id]);
    expect((await ask(b.id, 'Can I bring my puppy along?')).text).toContain('Dogs are welcome');
  });
});

describe('honest answers', () => {
  it('says it does not know, with no sources, when nothing the business shared answers', async () => {
    const b = await seedBusiness(core, { name: 'Harbour Rooms', faqs: [] });
    const { text, final } = await ask(b.id, 'Do you have a swimming pool?');
    expect(text).toMatch(/^I'm sorry, I don't know that/);
    expect(text).not.toContain('[[');
    expect(final.message!.sources).toEqual([]);
    expect(final.message!.grounded).toBe(false);
  });

  it('with Gemini: a reply that begins with the marker is sent without it and without sources', async () => {
    const fake = await FakeGemini.start();
    const gemini = await startTestCore(db, { LLM_PROVIDER: 'gemini', GEMINI_API_KEY: 'test', GEMINI_BASE_URL: fake.baseUrl });
    try {
      const b = await seedBusiness(gemini, { name: 'Marker Dental', faqs: [] });
      const { id } = await gemini.chat.service.startSession(b.id, NO_ORIGIN);
      // The question matches the profile (hours), so there are passages the reply could cite.
      fake.reply = () => '[[NOT_IN_CONTEXT]] I cannot see that in what Marker Dental shared.';
      const receipt = await gemini.chat.service.sendMessage({ sessionId: id, text: 'Are you open on Saturday for emergencies?' }, NO_ORIGIN);
      const { text, final } = await readReply(gemini, receipt.replyId);
      expect(text).toBe('I cannot see that in what Marker Dental shared.');
      expect(final.message!.sources).toEqual([]);
      expect(final.message!.grounded).toBe(false);
      // The system prompt tells the model how to say so.
      expect(JSON.stringify(fake.of('stream')[0].body)).toContain('[[NOT_IN_CONTEXT]]');

      fake.reply = () => 'We are open on Saturday from 9am to 1pm.';
      const grounded = await gemini.chat.service.sendMessage({ sessionId: id, text: 'Are you open on Saturday?' }, NO_ORIGIN);
      const second = await readReply(gemini, grounded.replyId);
      expect(second.final.message!.sources.map((s) => s.documentId)).toContain(`profile:${b.id}:hours`);
      expect(second.final.message!.grounded).toBeUndefined();
    } finally {
      await gemini.close();
      await fake.close();
    }
  });
});
