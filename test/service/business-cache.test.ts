import { BusinessEntity } from '../../src/business/business.entity';
import type { Core } from '../../src/core';
import { seedBusiness } from '../support/chat';
import { NO_ORIGIN, PLATFORM, startTestCore, type TestCore } from '../support/core';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/**
 * The business cache behind the chat hot path: BusinessService writes invalidate it, in this
 * process at once and in every other process over Redis. Two cores on one database and one
 * Redis key prefix stand for two server processes.
 */

let db: TestDatabase;
let core: TestCore;
let other: TestCore;

beforeAll(async () => {
  db = await createTestDatabase();
  core = await startTestCore(db);
  other = await startTestCore(db, { REDIS_KEY_PREFIX: core.config.redisKeyPrefix });
});

afterAll(async () => {
  await other?.close();
  await core?.close();
  await db?.drop();
});

/**
 * Resolves when `peer`'s subscriber has delivered the invalidation of `id`. Its BusinessCache
 * listens on the same connection and was registered first (at start), so the entry is gone by
 * then: no polling. Rejects after 5 s, a clear failure instead of Jest's timeout.
 */
function invalidationReaches(peer: Core, id: string): Promise<void> {
  const channel = `${peer.config.redisKeyPrefix}business:invalidate`;
  const subscriber = peer.connections.subscriber;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      subscriber.off('message', onMessage);
      reject(new Error(`no invalidation of ${id} reached the other process`));
    }, 5_000);
    const onMessage = (from: string, message: string) => {
      if (from !== channel || (message !== id && message !== '*')) return;
      clearTimeout(timer);
      subscriber.off('message', onMessage);
      resolve();
    };
    subscriber.on('message', onMessage);
  });
}

describe('BusinessService.update and the business cache', () => {
  it('serves the updated business in the writing process at once: cache, public profile, a new session\'s greeting', async () => {
    const business = await seedBusiness(core);
    expect((await core.businesses.get(business.id))?.name).toBe('Harbor Dental');
    await core.businessService.update(PLATFORM, business.id, { name: 'Harbour Smiles', greeting: 'Ahoy! What can we do for you?' });
    expect((await core.businesses.get(business.id))?.name).toBe('Harbour Smiles');
    expect((await core.businessService.getPublic(business.id, NO_ORIGIN))?.greeting).toBe('Ahoy! What can we do for you?');
    const session = await core.chat.service.startSession(business.id, NO_ORIGIN);
    expect(session.messages[0].text).toBe('Ahoy! What can we do for you?');
  });

  it('drops the other process\'s cached copy when the invalidation arrives over Redis', async () => {
    const business = await seedBusiness(core);
    expect((await other.businesses.get(business.id))?.name).toBe('Harbor Dental'); // cached there now
    const heard = invalidationReaches(other, business.id);
    await core.businessService.update(PLATFORM, business.id, { name: 'Renamed everywhere', greeting: 'Hello from the new name.' });
    await heard;
    expect((await other.businesses.get(business.id))?.name).toBe('Renamed everywhere');
    const session = await other.chat.service.startSession(business.id, NO_ORIGIN);
    expect(session.messages[0].text).toBe('Hello from the new name.');
  });

  it('keeps serving its cached copy when the row changes behind the service (what the invalidation is for)', async () => {
    const business = await seedBusiness(core);
    expect((await other.businesses.get(business.id))?.name).toBe('Harbor Dental');
    await core.orm.em.fork().nativeUpdate(BusinessEntity, { id: business.id }, { name: 'Changed in SQL' });
    expect((await other.businesses.get(business.id))?.name).toBe('Harbor Dental');
  });

  it('forgets a deleted business everywhere: no cached row, no new sessions', async () => {
    const business = await seedBusiness(core);
    expect(await other.businesses.get(business.id)).not.toBeNull();
    const heard = invalidationReaches(other, business.id);
    expect(await core.businessService.delete(PLATFORM, business.id)).toBe(true);
    await heard;
    expect(await other.businesses.get(business.id)).toBeNull();
    await expect(other.chat.service.startSession(business.id, NO_ORIGIN)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
