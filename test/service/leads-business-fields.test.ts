import { ContactField } from '../../src/business/business.profile';
import { PLATFORM, startTestCore, type TestCore } from '../support/core';
import { createTestDatabase, type TestDatabase } from '../support/stores';

/** The business fields that drive lead capture: requiredContactFields and defaultPhoneRegion. */

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

describe('business contact settings', () => {
  it('defaults to asking for NAME and EMAIL with no phone region, and stores what is set (region upper-cased)', async () => {
    const plain = await core.businessService.create(PLATFORM, { name: 'Plain' });
    expect(plain.requiredContactFields).toEqual([ContactField.NAME, ContactField.EMAIL]);
    expect(plain.defaultPhoneRegion ?? null).toBeNull();

    const set = await core.businessService.create(PLATFORM, { name: 'Set', requiredContactFields: [ContactField.PHONE, ContactField.NAME], defaultPhoneRegion: 'gb' });
    expect(set).toMatchObject({ requiredContactFields: ['PHONE', 'NAME'], defaultPhoneRegion: 'GB' });

    const reset = await core.businessService.update(PLATFORM, set.id, { requiredContactFields: null, defaultPhoneRegion: null });
    expect(reset.requiredContactFields).toEqual(['NAME', 'EMAIL']);
    expect(reset.defaultPhoneRegion).toBeNull();
  });

  it('refuses an unknown region and a field listed twice with BAD_USER_INPUT naming the field', async () => {
    await expect(core.businessService.create(PLATFORM, { name: 'X', defaultPhoneRegion: 'XX' })).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      extensions: { field: 'defaultPhoneRegion' },
    });
    await expect(core.businessService.create(PLATFORM, { name: 'X', requiredContactFields: [ContactField.NAME, ContactField.NAME] })).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      extensions: { field: 'requiredContactFields[1]' },
    });
  });
});
