import Sentiment from 'sentiment';
import type { Classification, Intent, LlmTurn, SentimentLabel } from '../llm/llm.provider';
import { tokens } from './questions';

/**
 * The offline classifier of a finished conversation (no Gemini configured, or Gemini failed on
 * every try): sentiment from the AFINN-165 lexicon of the `sentiment` package over what the
 * visitor wrote, intent from a small keyword lexicon (Porter2 stems, like the question keys).
 * Both read the visitor's messages only: the concierge's own politeness is not the visitor's mood.
 */
const analyzer = new Sentiment();

/** AFINN total over the visitor's messages at or beyond which the conversation is POSITIVE / NEGATIVE. */
const SENTIMENT_THRESHOLD = 2;

// Each intent's cue words, compared as stems; multi-word cues as stem sequences. Checked in this
// order on a tie: a complaint about a price is a complaint, a booking question about cost a booking.
const INTENT_CUES: Array<[Intent, string[]]> = [
  ['complaint', ['complain', 'complaint', 'terrible', 'awful', 'horrible', 'disappointed', 'unacceptable', 'rude', 'worst', 'angry', 'refund', 'furious', 'unhappy', 'ridiculous', 'never again', 'waste']],
  ['booking', ['book', 'booking', 'appointment', 'schedule', 'reserve', 'reservation', 'slot', 'availability', 'available', 'visit', 'reschedule', 'cancel']],
  ['pricing', ['price', 'pricing', 'cost', 'how much', 'fee', 'quote', 'expensive', 'cheap', 'afford', 'rate', 'discount', 'payment', 'pay', 'insurance', 'charge']],
  ['support', ['help', 'problem', 'issue', 'broken', 'error', 'not working', 'doesn\'t work', 'fix', 'repair', 'login', 'account', 'password', 'trouble', 'support']],
  ['information', ['what', 'where', 'when', 'which', 'who', 'open', 'hour', 'address', 'location', 'offer', 'service', 'do you', 'info', 'information', 'tell']],
];

const CUE_STEMS: Array<[Intent, string[][]]> = INTENT_CUES.map(([intent, cues]) => [intent, cues.map((c) => tokens(c))]);

export function classifyOffline(turns: readonly LlmTurn[]): Classification {
  const visitor = turns.filter((t) => t.role === 'user').map((t) => t.text);
  return { intent: intentOf(visitor), sentiment: sentimentOf(visitor) };
}

export function sentimentOf(texts: readonly string[]): SentimentLabel {
  const score = texts.reduce((sum, text) => sum + analyzer.analyze(text).score, 0);
  if (score >= SENTIMENT_THRESHOLD) return 'POSITIVE';
  if (score <= -SENTIMENT_THRESHOLD) return 'NEGATIVE';
  return 'NEUTRAL';
}

export function intentOf(texts: readonly string[]): Intent {
  const words = texts.map((t) => tokens(t));
  let best: Intent = 'other';
  let bestScore = 0;
  for (const [intent, cues] of CUE_STEMS) {
    let score = 0;
    for (const cue of cues) for (const w of words) score += occurrences(w, cue);
    // Information cues are question words: they weigh less than a specific need.
    const weighted = intent === 'information' ? score * 0.5 : score;
    if (weighted > bestScore) {
      best = intent;
      bestScore = weighted;
    }
  }
  return best;
}

function occurrences(words: string[], cue: string[]): number {
  if (!cue.length) return 0;
  let n = 0;
  for (let i = 0; i + cue.length <= words.length; i++) if (cue.every((c, j) => words[i + j] === c)) n++;
  return n;
}
