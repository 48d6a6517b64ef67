/**
 * Contact capture as the providers see it: plain data and one callback, no ORM. The chat turn
 * hands a provider a {@link ContactCaptureTurn} (built by the leads feature); the provider finds
 * what the visitor said about themselves (Gemini: a function call; offline: the extractor in
 * contact-extractor.ts) and calls `record`. What the provider found is input, not truth: `record`
 * validates every value, stores only valid ones, and honours the field lock.
 */

import type { ContactField } from '../business/business.profile';

/** Contact details as a provider read them from the visitor's words (unvalidated). */
export interface CapturedContact {
  name?: string | null;
  email?: string | null;
  phone?: string | null;
}

/** What the lead holds now (valid values only; a field here is locked). */
export interface ContactSnapshot {
  name: string | null;
  email: string | null;
  phone: string | null;
}

/** Why a value was not stored: the visitor is told `problem` in the bot's words. */
export interface RejectedContactField {
  field: ContactField;
  value: string;
  problem: string;
}

export interface ContactCaptureResult {
  /** Fields stored by this call (first captures and corrections), normalised. */
  stored: ContactField[];
  /** Of `stored`, those that replaced an earlier value (an explicit correction). */
  corrected: ContactField[];
  /** Values that were invalid: nothing of them was stored. */
  rejected: RejectedContactField[];
  /** Valid values that differ from a locked field and were not a correction: ignored. */
  ignored: ContactField[];
  /** The lead after the call. */
  contact: ContactSnapshot;
  /** Required fields still missing after the call, in the order the business asks for them. */
  missing: ContactField[];
  /** The lead could not be written (Postgres down): nothing was stored; say so and ask to retry. */
  unavailable?: boolean;
}

/** The conversation's state about contact details at the start of a turn. */
export interface ContactState {
  /** What the lead holds (locked fields); all null before the first capture. */
  contact: ContactSnapshot;
  /** The business's requiredContactFields, in asking order. */
  required: ContactField[];
  /** Required fields not captured yet, in asking order. */
  missing: ContactField[];
  /**
   * The visitor has shown intent (to book, a price or quote, to be contacted, a SEND CTA click,
   * volunteered details) in this turn or an earlier one: the bot asks for `missing`.
   */
  intent: boolean;
  /** This turn itself shows intent (a SEND CTA click, or intent words in the text). */
  intentThisTurn: boolean;
  /** The field the bot asked for in its previous reply, if any (a bare "Ana" answers it). */
  askedFor: ContactField | null;
  /** The business's privacy statement, to show before the first question for details; null once shown or when none. */
  privacyNotice: string | null;
  /** What happens next, the business's primaryGoal ("book a free consultation"); null when none. */
  goal: string | null;
}

/** One turn's capture: the state, and the way to store what the visitor gave. */
export interface ContactCaptureTurn {
  readonly state: ContactState;
  /**
   * Validates and stores `fields` in the session's lead (created on the first valid field).
   * `correction`: the visitor said they are correcting a detail ("actually my email is …"),
   * so a locked field may change. Never throws: bad values come back in `rejected`, a lead that
   * cannot be written as `unavailable`.
   */
  record(fields: CapturedContact, how: { correction: boolean; summary?: string | null }): Promise<ContactCaptureResult>;
}
