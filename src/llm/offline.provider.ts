import { ContactField, type BusinessProfile } from '../business/business.profile';
import type { ContactCaptureResult, ContactCaptureTurn } from './contact-capture';
import { extractContact } from './contact-extractor';
import { NOT_IN_CONTEXT } from './grounding';
import type { SpeechRecognizer } from './speech-recognizer';
import { LlmError, type LlmPassage, type LlmProvider, type ReplyRequest, type SummaryRequest, type TranscriptionRequest } from './llm.provider';

const STOP_WORDS = new Set(
  'a an the is are was were be been do does did you your yours i me my we our us it its of to in on at for and or with what when where who how can could would should will there this that these those please tell about have has any some'.split(
    ' ',
  ),
);

/** Lower-case content words, with a crude plural strip, for overlap scoring. */
export function contentWords(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])
    .filter((w) => !STOP_WORDS.has(w) && w.length > 1)
    .map((w) => (w.length > 3 && w.endsWith('s') ? w.slice(0, -1) : w));
}

function overlap(question: string[], candidate: string[]): number {
  if (!question.length || !candidate.length) return 0;
  const set = new Set(candidate);
  const hits = question.filter((w) => set.has(w)).length;
  return hits / question.length;
}

/**
 * Knowledge passages start with their heading trail on a line of its own ("Services > Pricing",
 * see src/knowledge/chunker.ts): a first line without closing punctuation followed by more text.
 */
function splitHeading(text: string): { heading: string; body: string } {
  const newline = text.indexOf('\n');
  if (newline < 0) return { heading: '', body: text };
  const first = text.slice(0, newline).trim();
  if (/[.!?:;]$/.test(first)) return { heading: '', body: text };
  return { heading: first, body: text.slice(newline + 1) };
}

/** What the offline provider answers: the text, and whether it came from the business's material. */
export interface OfflineAnswer {
  text: string;
  /** False for the "I don't know" reply: nothing the business shared answers the question. */
  grounded: boolean;
}

/** The deterministic answer to the visitor's last message; exported for unit use. */
export function offlineAnswer(business: BusinessProfile | undefined, passages: readonly LlmPassage[], question: string): OfflineAnswer {
  const text = groundedText(business, passages, question);
  return text === null ? { text: dontKnow(business?.name ?? 'the business'), grounded: false } : { text, grounded: true };
}

function dontKnow(name: string): string {
  return (
    `I'm sorry, I don't know that from what ${name} has shared with me. ` +
    `If you leave your name and email or phone number, I'll pass your question to the team so they can follow up.`
  );
}

/** An answer from the FAQs or the passages; null when none fits. */
export function groundedText(business: BusinessProfile | undefined, passages: readonly LlmPassage[], question: string): string | null {
  const words = contentWords(question);
  if (business) {
    let best: { score: number; answer: string } | null = null;
    for (const faq of business.faqs) {
      const score = overlap(words, contentWords(faq.question));
      if (score >= 0.5 && (!best || score > best.score)) best = { score, answer: faq.answer };
    }
    if (best) return best.answer;
  }
  // The retriever ranked the passages and dropped those that do not answer (its threshold is
  // the honesty gate); the answer is the sentence of the best passage that answers the
  // question's kind best, then shares the most words with it.
  const top = passages[0];
  if (!top) return null;
  const { heading, body } = splitHeading(top.text);
  const context = contentWords(heading);
  const cues = answerCues(question);
  let best: { score: number; sentence: string } | null = null;
  for (const sentence of body.split(/(?<=[.!?])\s+|\n+/)) {
    const own = contentWords(sentence);
    if (!own.length) continue;
    const score = overlap(words, [...own, ...context]) + cues.filter((cue) => cue.test(sentence)).length;
    if (!best || score > best.score) best = { score, sentence: sentence.trim() };
  }
  return best?.sentence ?? null;
}

/**
 * What a sentence that answers the question looks like: a time for "when", an amount for
 * "how much", a duration or distance for "how long", a way to reach someone for "contact".
 */
function answerCues(question: string): RegExp[] {
  const q = question.toLowerCase();
  const cues: RegExp[] = [];
  if (/\b(when|what time|hours?|open|opening|close|closing|shut|start|until|till)\b/.test(q)) cues.push(/\b\d{1,2}(:\d\d)?\s?(am|pm)\b|\b\d{1,2}:\d\d\b|\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekdays?|daily)\b/i);
  if (/\b(how much|cost|costs|price|prices|fee|fees|charge|expensive|cheap)\b/.test(q)) cues.push(/[£$€]\s?\d|\b\d+(\.\d\d)?\s?(pounds|dollars|euros)\b|\bfree\b/i);
  if (/\b(how long|how far|how many|how soon)\b/.test(q)) cues.push(/\b\d+|\b(one|two|three|four|five|six|seven|eight|nine|ten|twelve|thirty|ninety)\b/i);
  if (/\b(contact|email|e-mail|phone|call|ring|reach|touch|number)\b/.test(q)) cues.push(/@|\+?\d[\d\s]{6,}/);
  if (/\b(where|address|find you|located|location|whereabouts)\b/.test(q)) cues.push(/\b\d+\s+\p{Lu}\p{L}+\s+(street|st|road|rd|lane|avenue|square|way|place)\b/iu);
  return cues;
}

const LABEL: Record<ContactField, string> = { NAME: 'name', EMAIL: 'email address', PHONE: 'phone number' };
const QUESTION: Record<ContactField, string> = {
  NAME: 'May I have your name?',
  EMAIL: "What's the best email address to reach you?",
  PHONE: "What's the best phone number to reach you?",
};

function valueOf(result: ContactCaptureResult, field: ContactField): string {
  return (field === ContactField.NAME ? result.contact.name : field === ContactField.EMAIL ? result.contact.email : result.contact.phone) ?? '';
}

function list(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * The offline reply of a turn with contact capture: the extractor's candidates recorded (the
 * leads feature validates and locks), then, in this order and deterministically: what could
 * not be saved or was wrong, a confirmation of what was noted, the answer to the question if
 * one fits, and the next step — the one question for the first missing field (with the privacy
 * statement before the first such question), or what happens next once nothing is missing.
 */
export async function offlineCaptureReply(business: BusinessProfile | undefined, passages: readonly LlmPassage[], question: string, turn: ContactCaptureTurn): Promise<OfflineAnswer> {
  const { state } = turn;
  const extracted = extractContact(question, state.askedFor);
  const offered = Object.keys(extracted.fields).length > 0;
  const result = offered ? await turn.record(extracted.fields, { correction: extracted.correction }) : null;
  const parts: string[] = [];
  if (result?.unavailable) parts.push("Sorry, I couldn't save your details just now. Please send them again in a moment.");
  for (const r of result?.rejected ?? []) parts.push(`That ${LABEL[r.field]} doesn't look right: ${r.problem}.`);
  if (result && result.stored.length) {
    const fresh = result.stored.filter((f) => !result.corrected.includes(f) && f !== ContactField.NAME);
    const thanks = result.stored.includes(ContactField.NAME) && !result.corrected.includes(ContactField.NAME) ? `Thanks, ${result.contact.name}!` : 'Thanks!';
    const noted = fresh.map((f) => `your ${LABEL[f]} ${valueOf(result, f)}`);
    const updated = result.corrected.map((f) => `your ${LABEL[f]} to ${valueOf(result, f)}`);
    parts.push([thanks, noted.length ? `I've noted ${list(noted)}.` : '', updated.length ? `I've updated ${list(updated)}.` : ''].filter(Boolean).join(' '));
  }
  for (const f of result?.ignored ?? []) {
    parts.push(`I already have your ${LABEL[f]} as ${valueOf(result!, f)}. If that's wrong, just say "actually my ${LABEL[f]} is …".`);
  }
  // Details alone, or a wish ("I'd like to book"), are not a question; a question with details
  // or intent in it ("how much is whitening?") still gets its answer.
  const answer = (offered || state.intentThisTurn) && !question.includes('?') ? null : groundedText(business, passages, question);
  // A profile fact ("check-ups, implants") has no full stop; the next step follows it in the same reply.
  if (answer) parts.push(/[.!?…]["')\]]*$/.test(answer) ? answer : `${answer}.`);
  const intent = state.intent || (result?.stored.length ?? 0) > 0;
  const missing = result && !result.unavailable ? result.missing : state.missing;
  const rejectedMissing = (result?.rejected ?? []).map((r) => r.field).find((f) => missing.includes(f));
  const next = rejectedMissing ?? missing[0];
  const name = business?.name ?? 'the business';
  if (intent && next && !result?.unavailable) {
    if (!answer && !result) parts.push("I'd be glad to help with that.");
    if (state.privacyNotice) parts.push(state.privacyNotice);
    parts.push(rejectedMissing ? `Could you give me your ${LABEL[next]} again?` : QUESTION[next]);
  } else if (intent && !next && (result?.stored.length || state.intentThisTurn)) {
    parts.push(state.goal ? `What happens next: the ${name} team will be in touch to ${state.goal}.` : `What happens next: the ${name} team will be in touch soon.`);
  } else if (!parts.length) {
    return offlineAnswer(business, passages, question);
  }
  return { text: parts.join(' '), grounded: true };
}

/**
 * The embedded provider: the default with no Gemini key and the fallback when Gemini fails
 * before its first token. It answers extractively and deterministically from the business
 * profile, its FAQs and the retrieved passages, and says plainly when it does not know.
 * Replies still stream, word by word, so clients see one behaviour.
 */
export class OfflineProvider implements LlmProvider {
  readonly name = 'offline';

  constructor(private readonly recognizer?: SpeechRecognizer) {}

  async *streamReply(request: ReplyRequest): AsyncIterable<string> {
    const question = [...request.turns].reverse().find((t) => t.role === 'user')?.text ?? '';
    const answer = request.contact
      ? await offlineCaptureReply(request.business, request.passages, question, request.contact)
      : offlineAnswer(request.business, request.passages, question);
    if (!answer.grounded) yield `${NOT_IN_CONTEXT} `;
    for (const word of answer.text.match(/\S+\s*/g) ?? []) {
      if (request.signal?.aborted) throw new LlmError('aborted', 'The reply was aborted');
      yield word;
    }
  }

  /** Extractive: keeps what the visitor asked, newest last, within a bounded length. */
  async summarize(request: SummaryRequest): Promise<string> {
    const asked = request.turns.filter((t) => t.role === 'user').map((t) => t.text.replace(/\s+/g, ' ').slice(0, 200));
    const previous = request.previousSummary ? `${request.previousSummary} ` : '';
    const next = `${previous}${asked.length ? `The visitor asked: ${asked.join(' | ')}.` : ''}`.trim();
    return next.length > 2000 ? `…${next.slice(-1999)}` : next;
  }

  async transcribe(request: TranscriptionRequest): Promise<string> {
    if (!this.recognizer) throw new LlmError('unavailable', 'Speech recognition is not available without a Gemini key');
    return this.recognizer.recognize(request.wav, request.signal);
  }
}
