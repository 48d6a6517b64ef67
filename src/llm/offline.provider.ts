import type { BusinessProfile } from '../business/business.profile';
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

const TOPICS: Array<{ words: RegExp; answer: (b: BusinessProfile) => string | null }> = [
  { words: /\b(hours?|open|opening|close|closing|closed)\b/i, answer: (b) => (b.hours ? `Our opening hours: ${b.hours}.` : null) },
  {
    words: /\b(where|address|located|location|directions|find you)\b/i,
    answer: (b) => (b.location ? `You can find us at ${b.location}.` : null),
  },
  {
    words: /\b(contact|email|e-mail|phone|call|reach|telephone)\b/i,
    answer: (b) => {
      const ways = [b.contactEmail && `email ${b.contactEmail}`, b.contactPhone && `call ${b.contactPhone}`].filter(Boolean);
      return ways.length ? `You can ${ways.join(' or ')}.` : null;
    },
  },
  {
    words: /\b(services?|offer|provide|do you do|what do you)\b/i,
    answer: (b) => (b.services.length ? `We offer: ${b.services.join(', ')}.` : null),
  },
];

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

/** The deterministic answer to the visitor's last message; exported for unit use. */
export function offlineAnswer(business: BusinessProfile | undefined, passages: readonly LlmPassage[], question: string): string {
  return offlineReply(business, passages, question).text;
}

/**
 * {@link offlineAnswer} with whether it is an answer: `grounded: false` is the "I don't know
 * that from what the business has shared" reply (no FAQ, fact or passage matched).
 */
export function offlineReply(business: BusinessProfile | undefined, passages: readonly LlmPassage[], question: string): { text: string; grounded: boolean } {
  const text = groundedAnswer(business, passages, question);
  if (text !== null) return { text, grounded: true };
  const name = business?.name ?? 'the business';
  return {
    text:
      `I'm sorry, I don't know that from what ${name} has shared with me. ` +
      `If you leave your name and email or phone number, I'll pass your question to the team so they can follow up.`,
    grounded: false,
  };
}

function groundedAnswer(business: BusinessProfile | undefined, passages: readonly LlmPassage[], question: string): string | null {
  const words = contentWords(question);
  if (business) {
    let best: { score: number; answer: string } | null = null;
    for (const faq of business.faqs) {
      const score = overlap(words, contentWords(faq.question));
      if (score >= 0.5 && (!best || score > best.score)) best = { score, answer: faq.answer };
    }
    if (best) return best.answer;
    const facts = TOPICS.filter((t) => t.words.test(question))
      .map((t) => t.answer(business))
      .filter((a): a is string => a !== null);
    if (facts.length) return facts.join(' ');
  }
  let bestPassage: { score: number; sentence: string } | null = null;
  for (const passage of passages) {
    const { heading, body } = splitHeading(passage.text);
    // The heading's words count for every sentence under it ("Opening hours" makes "We open
    // at 9" answer "what are your opening hours?"), but the reply is the sentence alone.
    const context = contentWords(heading);
    for (const sentence of body.split(/(?<=[.!?])\s+|\n+/)) {
      const own = contentWords(sentence);
      if (!own.length) continue;
      const score = overlap(words, [...own, ...context]);
      if (score > 0 && (!bestPassage || score > bestPassage.score)) bestPassage = { score, sentence: sentence.trim() };
    }
  }
  if (bestPassage && bestPassage.score >= 0.34) return bestPassage.sentence;
  return null;
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
    const { text: answer, grounded } = offlineReply(request.business, request.passages, question);
    if (request.outcome) {
      request.outcome.provider = this.name;
      request.outcome.grounded = grounded;
    }
    for (const word of answer.match(/\S+\s*/g) ?? []) {
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
