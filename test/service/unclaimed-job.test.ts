import { createSilentLogger } from '../../src/observability/logger';
import { seedBusiness } from '../support/chat';
import { PLATFORM, startTestCore, type TestCore } from '../support/core';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * The BullMQ driver with no worker process: the api only queues, so a knowledge document would
 * sit QUEUED with no word. After the (here shortened) wait, the api logs a warning naming
 * `npm run worker`, once per lane however many jobs wait.
 */

let db: TestDatabase;
let core: TestCore;
const logger = createSilentLogger();
const warn = jest.spyOn(logger, 'warn');
/** The (message, meta) of each warn call. */
const warnings = () => warn.mock.calls.map((c) => (c as unknown[]) as [unknown, Record<string, unknown> | undefined]).map(([m, meta]) => ({ message: typeof m === 'string' ? m : '', meta }));

beforeAll(async () => {
  db = await createTestDatabase();
  core = await startTestCore(db, { JOB_DRIVER: 'bullmq' }, { logger, unclaimedJobWarnMs: 400 });
});

afterAll(async () => {
  await core?.close();
  await db?.drop();
});

/** The warnings about untaken jobs logged so far. */
function unclaimedWarnings(): string[] {
  return warnings()
    .map((w) => w.message)
    .filter((m) => m.includes('no worker has taken it'));
}

describe('a job no worker takes', () => {
  it('waits untaken, and after the wait the api says to start `npm run worker` (once for two jobs)', async () => {
    const business = await seedBusiness(core);
    await core.knowledge.service.addDocument(PLATFORM, { businessId: business.id, title: 'Hours', content: 'We are open from 8 to 6 on weekdays.' });
    await core.knowledge.service.addDocument(PLATFORM, { businessId: business.id, title: 'Parking', content: 'Free parking behind the practice.' });
    expect(unclaimedWarnings()).toEqual([]); // not before the wait

    const deadline = Date.now() + 10_000;
    while (unclaimedWarnings().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const [message, ...more] = unclaimedWarnings();
    expect(message).toContain('npm run worker');
    expect(message).toMatch(/^job "[\w.-]+" is still queued after 0 s/);
    // The second job's check comes within the same interval: no second warning.
    await new Promise((r) => setTimeout(r, 300));
    expect(more).toEqual([]);
    expect(unclaimedWarnings()).toHaveLength(1);
    // The warning says which job and lane, for the operator.
    const meta = warnings().find((w) => w.message.includes('no worker has taken it'))?.meta;
    expect(meta).toMatchObject({ lane: 'knowledge', jobId: expect.any(String), waitedMs: 400 });
  });
});
