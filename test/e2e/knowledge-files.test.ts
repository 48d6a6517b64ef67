import { SearchKnowledgeDocument, UploadKnowledgeFileDocument } from '../generated/graphql';
import { errorCodes, gql } from '../support/client';
import { docxWith, pdfWith } from '../support/documents';
import { ADMIN, ADMIN_HASH, seedBusiness, waitForJob } from '../support/knowledge';
import { upload } from '../support/multipart';
import { startTestServer, testConfig, type TestServer } from '../support/server';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * uploadKnowledgeFile over the GraphQL multipart spec against the real server: PDF and DOCX
 * become searchable (their text extracted in a worker thread), text formats are sniffed, and
 * what cannot be read is refused with a reason — nothing stored.
 */

let db: TestDatabase;
let server: TestServer;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startTestServer(
    testConfig(db, { ADMIN_API_KEY_HASHES: ADMIN_HASH, JOB_DRIVER: 'inline', JOB_BACKOFF_MS: '10', KNOWLEDGE_MAX_FILE_BYTES: '65536', KNOWLEDGE_MAX_PDF_PAGES: '3' }),
  );
});

afterAll(async () => {
  await server?.close();
  await db?.drop();
});

const send = (businessId: string, file: Buffer, filename: string, title?: string) =>
  upload(server.url, UploadKnowledgeFileDocument, { businessId, title, file: null }, file, { filename, mime: 'application/octet-stream', headers: ADMIN.headers }, 'file');

async function search(businessId: string, query: string) {
  const res = await gql(server.url, SearchKnowledgeDocument, { businessId, query, limit: 5 }, ADMIN);
  expect(res.errors).toBeUndefined();
  return res.data!.searchKnowledge;
}

describe('uploadKnowledgeFile', () => {
  it('makes a PDF searchable, page by page', async () => {
    const business = await seedBusiness(server.app, { name: 'PDF Guesthouse' });
    const pdf = pdfWith([['Parking', 'Guests park free of charge behind the building.'], ['Breakfast is served from 7:30 to 10am.']]);
    const res = await send(business.id, pdf, 'house-rules.pdf');
    expect(res.errors).toBeUndefined();
    expect(res.data!.uploadKnowledgeFile).toMatchObject({ title: 'house-rules', format: 'PDF' });
    await waitForJob(server.url, res.data!.uploadKnowledgeFile.indexJobId!);
    const hits = await search(business.id, 'Is parking free?');
    expect(hits[0]).toMatchObject({ documentId: res.data!.uploadKnowledgeFile.id, title: 'house-rules' });
    expect(hits[0].text).toContain('Guests park free of charge behind the building.');
    expect((await search(business.id, 'When is breakfast served?'))[0].text).toContain('7:30 to 10am');
  });

  it('makes a DOCX searchable, with the title given', async () => {
    const business = await seedBusiness(server.app, { name: 'DOCX Bakery' });
    const docx = await docxWith(['Celebration cakes', 'Please order five days ahead; decorated cakes start at £40.']);
    const res = await send(business.id, docx, 'cakes.docx', 'Cake orders');
    expect(res.errors).toBeUndefined();
    expect(res.data!.uploadKnowledgeFile).toMatchObject({ title: 'Cake orders', format: 'DOCX' });
    await waitForJob(server.url, res.data!.uploadKnowledgeFile.indexJobId!);
    expect((await search(business.id, 'how far ahead to order a cake'))[0].text).toContain('five days ahead');
  });

  it('sniffs text formats: HTML by its markup, Markdown by its name', async () => {
    const business = await seedBusiness(server.app, { name: 'Text Shop' });
    const html = await send(business.id, Buffer.from('<!doctype html><html><body><script>x()</script><p>Returns within 30 days.</p></body></html>'), 'page.txt');
    expect(html.data!.uploadKnowledgeFile.format).toBe('HTML');
    const md = await send(business.id, Buffer.from('# Repairs\n\nPuncture repair is **£12**.'), 'repairs.md');
    expect(md.data!.uploadKnowledgeFile.format).toBe('MARKDOWN');
    const txt = await send(business.id, Buffer.from('Plain words about bike hire.'), 'notes');
    expect(txt.data!.uploadKnowledgeFile.format).toBe('TEXT');
  });

  it('refuses a scanned PDF (no text), a PDF over the page limit, an image and an oversized file, storing nothing', async () => {
    const business = await seedBusiness(server.app, { name: 'Refused Files' });
    const scanned = await send(business.id, pdfWith([[]]), 'scan.pdf');
    expect(errorCodes(scanned)).toEqual(['BAD_USER_INPUT']);
    expect(scanned.errors![0].extensions).toMatchObject({ reason: 'no_text' });
    expect(scanned.errors![0].message).toMatch(/scanned/);

    const long = await send(business.id, pdfWith([['one'], ['two'], ['three'], ['four']]), 'long.pdf');
    expect(long.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'too_many_pages' });

    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64)]);
    const image = await send(business.id, png, 'menu.pdf');
    expect(image.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'unsupported_format' });

    const big = await send(business.id, Buffer.alloc(70_000, 'a'), 'big.txt');
    expect(errorCodes(big)).toEqual(['PAYLOAD_TOO_LARGE']);

    const broken = await send(business.id, Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(200, 7)]), 'broken.pdf');
    expect(broken.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });

    expect(await search(business.id, 'one two three four')).toEqual(expect.not.arrayContaining([expect.objectContaining({ category: null })]));
    const docs = await server.app.knowledge.service.documents({ kind: 'platform', keyId: null }, business.id);
    expect(docs).toEqual([]);
  });

  it('needs a key for the business', async () => {
    const business = await seedBusiness(server.app, { name: 'Keyed' });
    const res = await upload(server.url, UploadKnowledgeFileDocument, { businessId: business.id, file: null }, Buffer.from('x'), { filename: 'a.txt' }, 'file');
    expect(errorCodes(res)).toEqual(['UNAUTHENTICATED']);
  });
});
