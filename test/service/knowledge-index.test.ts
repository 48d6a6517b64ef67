import { seedBusiness } from '../support/chat';
import { NO_ORIGIN, PLATFORM, readReply, startTestCore, type TestCore } from '../support/core';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * Knowledge through its services (no HTTP): a document is added, the inline queue is drained
 * (no waiting on time), and retrieval and a chat turn find and cite it.
 */

const AFTERCARE = 'After an implant, rinse gently with warm salt water three times a day for one week.';

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

describe('KnowledgeService with the inline queue', () => {
  it('indexes an added document once the queue is drained, and search retrieves it', async () => {
    const { id: businessId } = await seedBusiness(core);
    const doc = await core.knowledge.service.addDocument(PLATFORM, { businessId, title: 'Implant aftercare', content: AFTERCARE });
    expect(doc).toMatchObject({ businessId, title: 'Implant aftercare', indexJobId: expect.any(String) });

    await core.drainJobs();
    expect(await core.knowledge.service.job(PLATFORM, doc.indexJobId!)).toMatchObject({ state: 'SUCCEEDED', progress: 1, attempts: 1, error: null });
    const [listed] = await core.knowledge.service.documents(PLATFORM, businessId);
    expect(listed.chunkCount).toBeGreaterThan(0);
    expect(listed.indexedAt).toBeInstanceOf(Date);

    const hits = await core.knowledge.service.search(PLATFORM, businessId, 'how should I rinse after an implant', 5);
    // The document first; after it only the business's own profile ("Services: … Implants").
    expect(hits[0]).toMatchObject({ documentId: doc.id, title: 'Implant aftercare', text: AFTERCARE });
    expect(hits.slice(1).map((h) => h.documentId)).toEqual([`profile:${businessId}:services`]);
  });

  it('grounds a chat turn in the indexed passage and cites it', async () => {
    const { id: businessId } = await seedBusiness(core, { name: 'Cited Dental' });
    const doc = await core.knowledge.service.addDocument(PLATFORM, { businessId, title: 'Implant aftercare', content: AFTERCARE });
    await core.drainJobs();

    const { id } = await core.chat.service.startSession(businessId, NO_ORIGIN);
    const receipt = await core.chat.service.sendMessage({ sessionId: id, text: 'How should I rinse after an implant?' }, NO_ORIGIN);
    const { text, final } = await readReply(core, receipt.replyId);
    expect(text).toBe(AFTERCARE);
    expect(final.message!.sources[0]).toEqual(expect.objectContaining({ documentId: doc.id, title: 'Implant aftercare', snippet: expect.stringMatching(/salt water/) }));
  });

  it('keeps one business out of another business\'s knowledge', async () => {
    const own = await seedBusiness(core, { name: 'Own' });
    const other = await seedBusiness(core, { name: 'Other' });
    await core.knowledge.service.addDocument(PLATFORM, { businessId: other.id, title: 'Price list', content: 'A cleaning costs 80 dollars.' });
    await core.drainJobs();
    const ownKey = { kind: 'business' as const, businessId: own.id, keyId: 'k1' };
    await expect(core.knowledge.service.search(ownKey, other.id, 'cleaning', 5)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(core.knowledge.service.addDocument(ownKey, { businessId: other.id, title: 'Injected', content: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await core.knowledge.service.search(ownKey, own.id, 'how many dollars', 5)).toEqual([]);
    expect((await core.knowledge.service.search(ownKey, own.id, 'price list', 5)).map((h) => h.title)).not.toContain('Price list');
  });

  it('rebuilds the index to the same answers, and forgets a deleted document', async () => {
    const { id: businessId } = await seedBusiness(core, { name: 'Rebuilt' });
    const doc = await core.knowledge.service.addDocument(PLATFORM, { businessId, title: 'Hours', content: 'We open at 9 am on weekdays.' });
    await core.drainJobs();
    const job = await core.knowledge.service.rebuild(PLATFORM, businessId);
    await core.drainJobs();
    expect(await core.knowledge.service.job(PLATFORM, job.id)).toMatchObject({ kind: 'REBUILD', state: 'SUCCEEDED' });
    const documents = async () => (await core.knowledge.service.search(PLATFORM, businessId, 'when do you open', 5)).map((h) => h.documentId).filter((id) => !id.startsWith('profile:'));
    expect(await documents()).toEqual([doc.id]);

    expect(await core.knowledge.service.deleteDocument(PLATFORM, doc.id)).toBe(true);
    expect(await documents()).toEqual([]);
  });
});
