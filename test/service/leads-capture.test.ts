import { ContactField } from '../../src/business/business.profile';
import type { BusinessEntity } from '../../src/business/business.entity';
import { LeadEntity } from '../../src/leads/lead.entity';
import { WebhookDeliveryEntity, WebhookEvent } from '../../src/webhooks/webhook.entity';
import { seedBusiness } from '../support/chat';
import { NO_ORIGIN, PLATFORM, readReply, startTestCore, type TestCore } from '../support/core';
import { createTestDatabase, type TestDatabase } from '../support/stores';
import { seedWebhook } from '../support/webhooks';

/**
 * Lead capture through ChatService with the offline provider (no HTTP): the extractor finds
 * candidates, LeadService validates and locks, the reply steers towards the missing fields.
 */

let db: TestDatabase;
let core: TestCore;
let business: BusinessEntity;

beforeAll(async () => {
  db = await createTestDatabase();
  core = await startTestCore(db, { OUTBOUND_ALLOW_HOSTS: '127.0.0.1:*' });
  business = await seedBusiness(core, { privacyStatement: 'We use your details only to reply to you.' });
});

afterAll(async () => {
  await core?.close();
  await db?.drop();
});

async function say(sessionId: string, text: string): Promise<string> {
  const receipt = await core.chat.service.sendMessage({ sessionId, text }, NO_ORIGIN);
  const { final } = await readReply(core, receipt.replyId);
  expect(final.error).toBeNull();
  return final.message!.text;
}

async function leadOf(sessionId: string): Promise<LeadEntity | null> {
  return core.orm.em.fork().findOne(LeadEntity, { sessionId });
}

describe('lead capture in the chat (offline provider)', () => {
  it('asks for the name on intent (privacy statement first), stores "I\'m Ana, ana@example.com", then says what happens next', async () => {
    const { id } = await core.chat.service.startSession(business.id, NO_ORIGIN);
    const first = await say(id, "I'd like to book");
    expect(first).toBe("I'd be glad to help with that. We use your details only to reply to you. May I have your name?");
    expect(await leadOf(id)).toBeNull();

    const second = await say(id, "I'm Ana, ana@example.com");
    expect(second).toBe("Thanks, Ana! I've noted your email address ana@example.com. What happens next: the Harbor Dental team will be in touch to book a free consultation.");
    const lead = await leadOf(id);
    expect(lead).toMatchObject({ businessId: business.id, name: 'Ana', email: 'ana@example.com', phone: null, status: 'NEW', source: 'CHAT' });
    expect(lead!.consentAt).toBeInstanceOf(Date);
    expect(lead!.history.map((h) => [h.field, h.from, h.to, h.by])).toEqual([
      ['NAME', null, 'Ana', 'VISITOR'],
      ['EMAIL', null, 'ana@example.com', 'VISITOR'],
    ]);
  });

  it('never overwrites a locked field with a later mention, changes it on an explicit correction and keeps the history', async () => {
    const { id } = await core.chat.service.startSession(business.id, NO_ORIGIN);
    await say(id, 'My name is Ana and my email is ana@example.com');
    const mention = await say(id, 'my colleague uses bob@example.com, my email is bob@example.com');
    expect(mention).toContain('I already have your email address as ana@example.com');
    expect((await leadOf(id))!.email).toBe('ana@example.com');

    const corrected = await say(id, 'Actually my email is ana@work.example');
    expect(corrected).toContain("I've updated your email address to ana@work.example.");
    const lead = (await leadOf(id))!;
    expect(lead.email).toBe('ana@work.example');
    expect(lead.history.filter((h) => h.field === ContactField.EMAIL).map((h) => [h.from, h.to])).toEqual([
      [null, 'ana@example.com'],
      ['ana@example.com', 'ana@work.example'],
    ]);
  });

  it('never asks again for a captured field: one question a turn for what is missing, in the business\'s order', async () => {
    const strict = await seedBusiness(core, { name: 'Quay Plumbing', requiredContactFields: [ContactField.NAME, ContactField.PHONE, ContactField.EMAIL], defaultPhoneRegion: 'GB', primaryGoal: 'arrange a visit' });
    const { id } = await core.chat.service.startSession(strict.id, NO_ORIGIN);
    expect(await say(id, 'How much does a boiler service cost?')).toMatch(/May I have your name\?$/);
    const afterName = await say(id, 'Ana Silva');
    expect(afterName).toBe("Thanks, Ana Silva! What's the best phone number to reach you?");
    // Right length, but not a number in the UK plan: not stored, the bot says what was wrong and asks again.
    const bad = await say(id, '07700 900123');
    expect(bad).toBe('That phone number doesn\'t look right: "07700 900123" is not a valid phone number in GB. Could you give me your phone number again?');
    expect((await leadOf(id))!.phone).toBeNull();
    const good = await say(id, 'it is 020 7946 0958');
    expect(good).toBe("Thanks! I've noted your phone number +442079460958. What's the best email address to reach you?");
    const done = await say(id, 'ana@example.com');
    expect(done).toBe("Thanks! I've noted your email address ana@example.com. What happens next: the Quay Plumbing team will be in touch to arrange a visit.");
    expect(done).not.toMatch(/name\?|phone number\?/);
  });

  it('stores no lead from "I\'m interested" or a plain question', async () => {
    const { id } = await core.chat.service.startSession(business.id, NO_ORIGIN);
    await say(id, "I'm interested in whitening");
    await say(id, 'What are your opening hours?');
    expect(await leadOf(id)).toBeNull();
  });

  it('counts a SEND CTA click as intent', async () => {
    const { id } = await core.chat.service.startSession(business.id, NO_ORIGIN);
    const receipt = await core.chat.service.sendMessage({ sessionId: id, ctaId: 'whitening' }, NO_ORIGIN);
    const { final } = await readReply(core, receipt.replyId);
    expect(final.message!.text).toMatch(/May I have your name\?$/);
  });

  it('ends a profile fact with a full stop before the next question ("… 9am-1pm. May I have your name?")', async () => {
    const { id } = await core.chat.service.startSession(business.id, NO_ORIGIN);
    await say(id, "I'd like to book");
    expect(await say(id, 'When are you open?')).toBe('Mon-Fri 8am-6pm, Sat 9am-1pm. May I have your name?');
  });

  it('writes the lead and its lead.created / lead.updated deliveries in one transaction each', async () => {
    const hooked = await seedBusiness(core, { name: 'Hooked' });
    const { webhook } = await seedWebhook(core, { businessId: hooked.id, url: 'http://127.0.0.1:9/hook', events: [WebhookEvent.LEAD_CREATED, WebhookEvent.LEAD_UPDATED] });
    const { id } = await core.chat.service.startSession(hooked.id, NO_ORIGIN);
    await say(id, "I'm Ana, ana@example.com");
    await say(id, 'Actually my email is ana@work.example');
    const rows = await core.orm.em.fork().find(WebhookDeliveryEntity, { webhookId: webhook.id }, { orderBy: { createdAt: 'asc' }, populate: ['body'] });
    const lead = (await leadOf(id))!;
    expect(rows.map((r) => [r.event, r.leadId])).toEqual([
      ['LEAD_CREATED', lead.id],
      ['LEAD_UPDATED', lead.id],
    ]);
    const body = JSON.parse(rows[1].body!) as { type: string; data: { lead: Record<string, unknown> } };
    expect(body.type).toBe('lead.updated');
    expect(Object.keys(body.data.lead).sort()).toEqual(
      ['id', 'businessId', 'sessionId', 'name', 'email', 'phone', 'status', 'source', 'notes', 'summary', 'consentAt', 'createdAt', 'updatedAt'].sort(),
    );
    expect(body.data.lead).toMatchObject({ id: lead.id, email: 'ana@work.example', name: 'Ana' });
  });
});

describe('the widget form and admin edits', () => {
  it('refuses the whole submission when one field is invalid or consent is missing, and stores nothing', async () => {
    const gb = await seedBusiness(core, { name: 'Form GB', defaultPhoneRegion: 'GB' });
    const { id } = await core.chat.service.startSession(gb.id, NO_ORIGIN);
    await expect(core.leads.service.submitForm(gb, id, { name: 'Ana', email: 'ana@example.com', phone: '07700 900123', consent: true })).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      extensions: { field: 'phone' },
    });
    await expect(core.leads.service.submitForm(gb, id, { name: 'Ana', consent: false })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', extensions: { field: 'consent' } });
    expect(await leadOf(id)).toBeNull();

    const lead = await core.leads.service.submitForm(gb, id, { name: 'Ana', phone: '020 7946 0958', consent: true });
    expect(lead).toMatchObject({ name: 'Ana', phone: '+442079460958', source: 'FORM' });
  });

  it('lets the form replace a captured field (explicit by nature) into the same lead', async () => {
    const { id } = await core.chat.service.startSession(business.id, NO_ORIGIN);
    await say(id, "I'm Ana, ana@example.com");
    const before = (await leadOf(id))!;
    const after = await core.leads.service.submitForm(business, id, { email: 'ana@form.example', consent: true });
    expect(after.id).toBe(before.id);
    expect(after).toMatchObject({ email: 'ana@form.example', name: 'Ana', source: 'CHAT' });
    expect(after.history.at(-1)).toMatchObject({ field: 'EMAIL', from: 'ana@example.com', to: 'ana@form.example', by: 'FORM' });
  });

  it('admin updates change status, notes and contact fields (validated), and newest-first pages filter by status', async () => {
    const shop = await seedBusiness(core, { name: 'Paged' });
    const ids: string[] = [];
    for (const name of ['Ana', 'Bea', 'Cid']) {
      const { id } = await core.chat.service.startSession(shop.id, NO_ORIGIN);
      ids.push((await core.leads.service.submitForm(shop, id, { name, consent: true })).id);
    }
    const businessOf = (bid: string) => core.businesses.get(bid);
    await expect(core.leads.service.update(PLATFORM, ids[0], { email: 'nope' }, businessOf)).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    const updated = await core.leads.service.update(PLATFORM, ids[0], { status: 'WON' as never, notes: 'called back', email: 'ana@example.com' }, businessOf);
    expect(updated).toMatchObject({ status: 'WON', notes: 'called back', email: 'ana@example.com' });
    expect(updated.history.at(-1)).toMatchObject({ field: 'EMAIL', by: 'ADMIN' });

    const page1 = await core.leads.service.list(PLATFORM, shop.id, null, 2, null);
    expect(page1.nodes.map((l) => l.name)).toEqual(['Cid', 'Bea']);
    expect(page1.hasNextPage).toBe(true);
    const page2 = await core.leads.service.list(PLATFORM, shop.id, null, 2, page1.endCursor);
    expect(page2.nodes.map((l) => l.name)).toEqual(['Ana']);
    expect(page2.hasNextPage).toBe(false);
    const won = await core.leads.service.list(PLATFORM, shop.id, 'WON' as never, 10, null);
    expect(won.nodes.map((l) => l.name)).toEqual(['Ana']);
  });
});
