import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { assertCanAccessBusiness } from '../auth/access';
import { ContactField, type BusinessProfile } from '../business/business.profile';
import { BadUserInputError, NotFoundError, UnauthenticatedError } from '../common/errors';
import { isUuid } from '../common/ids';
import type { Principal } from '../common/principal';
import { PushIterator } from '../common/push-iterator';
import type { Orm } from '../db/orm';
import { showsIntent } from '../llm/contact-extractor';
import type { CapturedContact, ContactCaptureResult, ContactCaptureTurn, ContactSnapshot, ContactState, RejectedContactField } from '../llm/contact-capture';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { RedisBroadcast } from '../redis/broadcast';
import type { RedisClient } from '../redis/redis';
import type { WebhookOutbox } from '../webhooks/webhook.events';
import { CONTACT_FIELDS, checkContactField, propertyOf } from './contact.validation';
import { toLeadData, webhookLead, type LeadData } from './lead.data';
import { LeadEntity, LeadSource, LeadStatus, type LeadChangeBy } from './lead.entity';

/** The outbox plus the erasure deleteLead needs (the webhooks feature's dispatcher). */
export interface LeadOutbox extends WebhookOutbox {
  /** Erases the bodies of every delivery about the lead, in the caller's transaction. */
  eraseForLead(em: EntityManager, leadId: string): Promise<number>;
}

export interface LeadServiceDeps {
  orm: Orm;
  outbox: LeadOutbox;
  broadcast: RedisBroadcast;
  /** The commands connection: the per-session capture state (intent, last question) lives there. */
  redis: RedisClient;
  keyPrefix: string;
  /** Lifetime of that state; the session's own TTL, so both go together. */
  sessionTtlSeconds: number;
  metrics: Metrics;
  logger: Logger;
}

/** One chat turn, as the reply generator describes it to capture. */
export interface CaptureTurnInput {
  business: BusinessProfile;
  sessionId: string;
  /** What the visitor said (typed, transcribed, or a SEND CTA's message). */
  text: string;
  /** The turn is a SEND CTA click: intent by itself. */
  cta: boolean;
  /** The text was transcribed from a voice message (the lead's source is VOICE). */
  spoken: boolean;
}

/** A capture turn plus the step the reply generator takes once the reply is stored. */
export interface LeadCaptureTurn extends ContactCaptureTurn {
  /**
   * The contact field this turn's reply asks the visitor for: the first required field still
   * missing once the visitor has shown intent (the system prompt tells the model to ask for
   * exactly that, one question per reply); null when nothing is asked. Read after the provider
   * ran (what it recorded counts); the reply's stored message carries it (`asksForContact`).
   */
  asksFor(): ContactField | null;
  /** Remembers for the next turn: intent, the field this reply asked for, the privacy statement shown. */
  finish(): Promise<void>;
}

export interface ContactFormInput {
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  consent: boolean;
}

export interface LeadPatch {
  status?: LeadStatus | null;
  notes?: string | null;
  name?: string | null;
  email?: string | null;
  phone?: string | null;
}

export interface LeadPage {
  nodes: LeadEntity[];
  hasNextPage: boolean;
  endCursor: string | null;
}

/** What a session's capture remembers between turns (Redis, with the session's TTL). */
interface TurnMemory {
  intent: boolean;
  askedFor: ContactField | null;
  privacyShown: boolean;
}

export const LEAD_UPDATES_CHANNEL = 'leads:updates';
const MAX_NOTES = 4000;
const MAX_SUMMARY = 300;
const MAX_PAGE = 100;

function snapshot(lead: LeadEntity | null): ContactSnapshot {
  return { name: lead?.name ?? null, email: lead?.email ?? null, phone: lead?.phone ?? null };
}

function missingOf(business: BusinessProfile, contact: ContactSnapshot): ContactField[] {
  return business.requiredContactFields.filter((f) => contact[propertyOf(f)] === null);
}

function encodeCursor(lead: LeadEntity): string {
  return Buffer.from(`${lead.createdAt.toISOString()}|${lead.id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (!id || !isUuid(id) || Number.isNaN(createdAt.getTime())) throw new BadUserInputError('after: not a cursor from this API (use pageInfo.endCursor)', { field: 'after' });
  return { createdAt, id };
}

function cleanText(value: string | null | undefined, max: number): string | null {
  const v = value?.replace(/\s+/g, ' ').trim();
  return v ? v.slice(0, max) : null;
}

/**
 * Leads: one per chat session, captured from what the visitor says (the providers find the
 * details, {@link recordFromChat} checks and stores them), from the widget's form, and edited
 * by admins. The field lock lives here, in one place:
 * - a valid captured field is never overwritten by a later mention (it comes back as `ignored`);
 * - an explicit correction by the visitor, a form submission and an admin's update change it,
 *   and every change is kept in the lead's `history`;
 * - an invalid value is never stored (chat: it comes back as `rejected`, the bot says why; the
 *   form: the whole submission is refused with BAD_USER_INPUT and nothing of it is stored).
 *
 * Every write is one Postgres transaction that locks the lead row (`FOR UPDATE`) and queues
 * its webhook deliveries through the outbox in the same transaction: a lead is never written
 * without its `lead.created`/`lead.updated` deliveries, nor a delivery queued for a write that
 * rolled back. After the commit the change is published on Redis for `leadUpdates`.
 *
 * Failures mid-way: Postgres down → the transaction rolls back, nothing is stored and nothing
 * queued (chat: the turn's capture reports `unavailable` and the bot asks the visitor to try
 * again; the form and admins get SERVICE_UNAVAILABLE). Redis down after the commit → the lead
 * and its deliveries are stored; only live `leadUpdates` subscribers miss that one event (the
 * publish is logged), and the per-session memory of intent and the last question is lost, so
 * the bot may ask once more for intent before asking for details.
 */
export class LeadService {
  private readonly watchers = new Map<string, Set<PushIterator<LeadData>>>();

  constructor(private readonly deps: LeadServiceDeps) {}

  async start(): Promise<void> {
    await this.deps.broadcast.listen(LEAD_UPDATES_CHANNEL, {
      message: (payload) => {
        let data: LeadData;
        try {
          data = JSON.parse(payload) as LeadData;
        } catch {
          return;
        }
        for (const watcher of this.watchers.get(data.businessId) ?? []) watcher.push(data);
      },
    });
  }

  // ---------------------------------------------------------------- chat capture

  /**
   * The capture of one chat turn: the lead and the session's capture memory, read once. Returns
   * null (and the reply goes on without capture) when either store does not answer.
   */
  async openTurn(input: CaptureTurnInput): Promise<LeadCaptureTurn | null> {
    const { business, sessionId } = input;
    let lead: LeadEntity | null;
    let memory: TurnMemory;
    try {
      [lead, memory] = await Promise.all([this.orm().findOne(LeadEntity, { sessionId }), this.readMemory(sessionId)]);
    } catch (err) {
      this.deps.metrics.leadCaptureFailures.inc({ stage: 'open' });
      this.deps.logger.warn('lead capture unavailable for this turn', { sessionId, error: String(err) });
      return null;
    }
    const contact = snapshot(lead);
    const intentThisTurn = input.cta || showsIntent(input.text);
    const state: ContactState = {
      contact,
      required: [...business.requiredContactFields],
      missing: missingOf(business, contact),
      intent: memory.intent || intentThisTurn || lead !== null,
      intentThisTurn,
      askedFor: memory.askedFor,
      privacyNotice: !memory.privacyShown && business.privacyStatement?.trim() ? business.privacyStatement.trim() : null,
      goal: business.primaryGoal?.trim() || null,
    };
    let latest: ContactCaptureResult | null = null;
    const source = input.spoken ? LeadSource.VOICE : LeadSource.CHAT;
    const asksFor = (): ContactField | null => {
      const result: ContactCaptureResult | null = latest;
      const intent = state.intent || (result !== null && result.stored.length > 0);
      const missing = result?.missing ?? state.missing;
      return intent && missing.length ? missing[0] : null;
    };
    return {
      state,
      record: async (fields, how) => {
        latest = await this.recordFromChat(business, sessionId, fields, { ...how, source }).catch((err: unknown): ContactCaptureResult => {
          this.deps.metrics.leadCaptureFailures.inc({ stage: 'write' });
          this.deps.logger.warn('lead not written; the visitor is asked to try again', { sessionId, error: String(err) });
          return { stored: [], corrected: [], rejected: [], ignored: [], contact: state.contact, missing: state.missing, unavailable: true };
        });
        return latest;
      },
      asksFor: () => asksFor(),
      finish: async () => {
        const result: ContactCaptureResult | null = latest;
        const intent = state.intent || (result !== null && result.stored.length > 0);
        const askedFor = asksFor();
        const next: TurnMemory = { intent, askedFor, privacyShown: memory.privacyShown || (askedFor !== null && state.privacyNotice !== null) };
        await this.writeMemory(sessionId, next).catch((err: unknown) => {
          this.deps.logger.warn('lead capture memory not saved', { sessionId, error: String(err) });
        });
      },
    };
  }

  /**
   * Checks and stores what the visitor said in the chat (the model's function call or the
   * offline extractor; both are input, not truth). See the class comment for the field lock.
   * Throws only when the lead cannot be read or written.
   */
  async recordFromChat(
    business: BusinessProfile,
    sessionId: string,
    fields: CapturedContact,
    how: { correction: boolean; summary?: string | null; source: LeadSource },
  ): Promise<ContactCaptureResult> {
    const rejected: RejectedContactField[] = [];
    const valid = new Map<ContactField, string>();
    for (const field of CONTACT_FIELDS) {
      const raw = fields[propertyOf(field)];
      if (typeof raw !== 'string' || !raw.trim()) continue;
      const checked = checkContactField(field, raw, business.defaultPhoneRegion);
      if (checked.ok) valid.set(field, checked.value);
      else {
        rejected.push({ field, value: raw.trim().slice(0, 200), problem: checked.problem });
        this.deps.metrics.leadFieldsRejected.inc({ field, path: 'chat' });
      }
    }
    const stored: ContactField[] = [];
    const corrected: ContactField[] = [];
    const ignored: ContactField[] = [];
    const summary = cleanText(how.summary, MAX_SUMMARY);
    const { lead } = await this.write({ sessionId }, business.id, (current) => {
      stored.length = corrected.length = ignored.length = 0; // a retried transaction starts over
      const lead = current ?? this.newLead(business.id, sessionId, how.source);
      let changed = false;
      for (const [field, value] of valid) {
        const prop = propertyOf(field);
        const was = lead[prop] ?? null;
        if (was === value) continue;
        if (was !== null && !how.correction) {
          ignored.push(field);
          continue;
        }
        this.change(lead, field, value, 'VISITOR');
        stored.push(field);
        if (was !== null) corrected.push(field);
        changed = true;
      }
      if (!current && !changed) return null; // nothing valid: no lead from "I'm interested"
      if (summary && summary !== lead.summary && (changed || !lead.summary)) {
        lead.summary = summary;
        changed = true;
      }
      if (changed && !lead.consentAt) lead.consentAt = new Date(); // giving details in the chat, after the privacy statement
      return changed ? lead : false;
    });
    const contact = snapshot(lead);
    return { stored, corrected, rejected, ignored, contact, missing: missingOf(business, contact) };
  }

  // ---------------------------------------------------------------- the widget's form

  /**
   * The widget's form (public): explicit by nature, so given fields replace captured ones.
   * Every field is checked first; one invalid field refuses the whole submission (nothing
   * stored). `consent` must be true.
   */
  async submitForm(business: BusinessProfile, sessionId: string, input: ContactFormInput): Promise<LeadEntity> {
    if (input.consent !== true) throw new BadUserInputError('consent: the visitor must agree to be contacted (consent: true); nothing was stored', { field: 'consent' });
    const valid = new Map<ContactField, string>();
    for (const field of CONTACT_FIELDS) {
      const raw = input[propertyOf(field)];
      if (raw == null || !raw.trim()) continue;
      const checked = checkContactField(field, raw, business.defaultPhoneRegion);
      if (!checked.ok) {
        this.deps.metrics.leadFieldsRejected.inc({ field, path: 'form' });
        throw new BadUserInputError(`${propertyOf(field)}: ${checked.problem}; nothing was stored`, { field: propertyOf(field) });
      }
      valid.set(field, checked.value);
    }
    if (!valid.size) throw new BadUserInputError('give at least one of name, email and phone', { field: 'input' });
    const { lead } = await this.write({ sessionId }, business.id, (current) => {
      const lead = current ?? this.newLead(business.id, sessionId, LeadSource.FORM);
      for (const [field, value] of valid) if ((lead[propertyOf(field)] ?? null) !== value) this.change(lead, field, value, 'FORM');
      lead.consentAt = new Date();
      return lead;
    });
    return lead!;
  }

  /** The session's lead, for the visitor's own view (ChatSession.contactDetails). */
  async forSession(sessionId: string): Promise<LeadEntity | null> {
    return this.orm().findOne(LeadEntity, { sessionId });
  }

  // ---------------------------------------------------------------- admin

  async list(principal: Principal | null | undefined, businessId: string, status: LeadStatus | null | undefined, first: number, after: string | null | undefined): Promise<LeadPage> {
    this.access(principal, businessId);
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) throw new BadUserInputError(`first must be between 1 and ${MAX_PAGE}`, { field: 'first' });
    const where: Record<string, unknown> = { businessId };
    if (status) where.status = status;
    if (after) {
      const c = decodeCursor(after);
      where.$or = [{ createdAt: { $lt: c.createdAt } }, { createdAt: c.createdAt, id: { $lt: c.id } }];
    }
    const rows = await this.orm().find(LeadEntity, where, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: first + 1 });
    const nodes = rows.slice(0, first);
    return { nodes, hasNextPage: rows.length > first, endCursor: nodes.length ? encodeCursor(nodes[nodes.length - 1]) : null };
  }

  async get(principal: Principal | null | undefined, id: string): Promise<LeadEntity | null> {
    if (!principal) throw new UnauthenticatedError();
    const lead = isUuid(id) ? await this.orm().findOne(LeadEntity, { id }) : null;
    if (!lead) return null;
    this.access(principal, lead.businessId);
    return lead;
  }

  /** An admin's edit: status, notes, and contact fields (checked like any other; null clears). */
  async update(principal: Principal | null | undefined, id: string, patch: LeadPatch, businessOf: (id: string) => Promise<BusinessProfile | null>): Promise<LeadEntity> {
    const existing = await this.get(principal, id);
    if (!existing) throw new NotFoundError('Lead');
    const business = await businessOf(existing.businessId);
    if (!business) throw new NotFoundError('Lead');
    if (patch.status === null) throw new BadUserInputError('status cannot be null', { field: 'status' });
    const contact = new Map<ContactField, string | null>();
    for (const field of CONTACT_FIELDS) {
      const raw = patch[propertyOf(field)];
      if (raw === undefined) continue;
      if (raw === null || !raw.trim()) {
        contact.set(field, null);
        continue;
      }
      const checked = checkContactField(field, raw, business.defaultPhoneRegion);
      if (!checked.ok) {
        this.deps.metrics.leadFieldsRejected.inc({ field, path: 'admin' });
        throw new BadUserInputError(`${propertyOf(field)}: ${checked.problem}`, { field: propertyOf(field) });
      }
      contact.set(field, checked.value);
    }
    if (patch.notes != null && patch.notes.length > MAX_NOTES) throw new BadUserInputError(`notes must be at most ${MAX_NOTES} characters`, { field: 'notes' });
    const { lead } = await this.write({ id }, existing.businessId, (current) => {
      if (!current) throw new NotFoundError('Lead');
      let changed = false;
      if (patch.status !== undefined && patch.status !== current.status) {
        current.status = patch.status!;
        changed = true;
      }
      if (patch.notes !== undefined) {
        const notes = patch.notes === null ? null : patch.notes.trim() || null;
        if (notes !== (current.notes ?? null)) {
          current.notes = notes;
          changed = true;
        }
      }
      for (const [field, value] of contact) {
        if ((current[propertyOf(field)] ?? null) === value) continue;
        this.change(current, field, value, 'ADMIN');
        changed = true;
      }
      return changed ? current : false;
    });
    return lead!;
  }

  /** Erases the lead and the payloads of its webhook deliveries, in one transaction. */
  async delete(principal: Principal | null | undefined, id: string): Promise<boolean> {
    const existing = await this.get(principal, id);
    if (!existing) throw new NotFoundError('Lead');
    await this.deps.orm.em.fork().transactional(async (em) => {
      await this.deps.outbox.eraseForLead(em, id);
      await em.nativeDelete(LeadEntity, { id });
    });
    return true;
  }

  /** Every create or update of the business's leads from now on (no replay), until the client stops. */
  watch(principal: Principal | null | undefined, businessId: string): AsyncIterableIterator<LeadData> {
    this.access(principal, businessId);
    let set = this.watchers.get(businessId);
    if (!set) this.watchers.set(businessId, (set = new Set()));
    const watcher: PushIterator<LeadData> = new PushIterator<LeadData>(() => {
      set.delete(watcher);
      if (set.size === 0) this.watchers.delete(businessId);
    });
    set.add(watcher);
    return watcher;
  }

  /** How many leadUpdates subscriptions of this process follow the business (tests wait on it; a gauge could read it). */
  watching(businessId: string): number {
    return this.watchers.get(businessId)?.size ?? 0;
  }

  // ---------------------------------------------------------------- internals

  private orm(): EntityManager {
    return this.deps.orm.em.fork();
  }

  private access(principal: Principal | null | undefined, businessId: string): void {
    if (!principal) throw new UnauthenticatedError();
    assertCanAccessBusiness(principal, businessId);
  }

  private newLead(businessId: string, sessionId: string, source: LeadSource): LeadEntity {
    const now = new Date();
    return Object.assign(new LeadEntity(), { businessId, sessionId, source, status: LeadStatus.NEW, createdAt: now, updatedAt: now, version: 0 });
  }

  private change(lead: LeadEntity, field: ContactField, value: string | null, by: LeadChangeBy): void {
    const prop = propertyOf(field);
    lead.history = [...lead.history, { field, from: lead[prop] ?? null, to: value, by, at: new Date().toISOString() }];
    lead[prop] = value;
  }

  /**
   * One locked read-modify-write of a lead and its webhook deliveries, in one transaction.
   * `apply` gets the current row (null when none) and returns the lead to save (a new one is
   * inserted), `false` (unchanged) or `null` (nothing to store). Two first writes of one session
   * racing: the loser hits the unique session id and runs again, now on the winner's row.
   */
  private async write(
    key: { sessionId: string } | { id: string },
    businessId: string,
    apply: (current: LeadEntity | null) => LeadEntity | null | false,
  ): Promise<{ lead: LeadEntity | null; created: boolean }> {
    for (let attempt = 0; ; attempt++) {
      try {
        const out = await this.deps.orm.em.fork().transactional(async (em) => {
          const current = await em.findOne(LeadEntity, key, { lockMode: LockMode.PESSIMISTIC_WRITE });
          const next = apply(current);
          if (next === null) return { lead: current, created: false, changed: false };
          if (next === false) return { lead: current, created: false, changed: false };
          const created = current === null;
          next.version += 1;
          next.updatedAt = new Date();
          if (created) em.persist(next);
          await em.flush();
          await this.deps.outbox.enqueue(em, businessId, created ? 'lead.created' : 'lead.updated', { lead: webhookLead(next) });
          return { lead: next, created, changed: true };
        });
        if (out.changed && out.lead) {
          if (out.created) this.deps.metrics.leadsCaptured.inc({ source: out.lead.source });
          await this.deps.broadcast.publish(LEAD_UPDATES_CHANNEL, JSON.stringify(toLeadData(out.lead)));
        }
        return { lead: out.lead, created: out.created };
      } catch (err) {
        if (err instanceof UniqueConstraintViolationException && attempt === 0) continue;
        throw err;
      }
    }
  }

  private memoryKey(sessionId: string): string {
    return `${this.deps.keyPrefix}leads:turn:${sessionId}`;
  }

  private async readMemory(sessionId: string): Promise<TurnMemory> {
    const raw = await this.deps.redis.get(this.memoryKey(sessionId));
    const empty: TurnMemory = { intent: false, askedFor: null, privacyShown: false };
    if (!raw) return empty;
    try {
      const parsed = JSON.parse(raw) as Partial<TurnMemory>;
      const askedFor = CONTACT_FIELDS.includes(parsed.askedFor as ContactField) ? (parsed.askedFor as ContactField) : null;
      return { intent: parsed.intent === true, askedFor, privacyShown: parsed.privacyShown === true };
    } catch {
      return empty;
    }
  }

  private async writeMemory(sessionId: string, memory: TurnMemory): Promise<void> {
    await this.deps.redis.set(this.memoryKey(sessionId), JSON.stringify(memory), 'EX', this.deps.sessionTtlSeconds);
  }

  /**
   * The visitor's erasure (endSession; deleteBusiness too, where the rows would cascade anyway):
   * the sessions' leads and the bodies of their webhook deliveries, in one transaction, then the
   * capture memory in Redis. Idempotent; a failure leaves the sessions sealed for a retry.
   */
  async eraseSessions(sessionIds: string[]): Promise<void> {
    if (!sessionIds.length) return;
    await this.deps.orm.em.fork().transactional(async (em) => {
      const leads = await em.find(LeadEntity, { sessionId: { $in: sessionIds } }, { fields: ['id'] });
      for (const lead of leads) await this.deps.outbox.eraseForLead(em, lead.id);
      if (leads.length) await em.nativeDelete(LeadEntity, { id: { $in: leads.map((l) => l.id) } });
    });
    await this.deps.redis.del(...sessionIds.map((id) => this.memoryKey(id)));
  }
}
