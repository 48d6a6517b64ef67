// eslint-disable-next-line @typescript-eslint/no-require-imports
const stem = require('wink-porter2-stemmer') as (word: string) => string;

/**
 * Words that carry no topic of their own ("what", "are", "your"): left out of a question's
 * key, so "What are your prices?" and "prices?" are counted together.
 */
const STOP_WORDS = new Set(
  (
    'a an the is are was were be been being am do does did doing you your yours yourself i me my mine we our ours us it its ' +
    'of to in on at for from by and or but if so as with what whats when where who whom whose which why how can could would should ' +
    'will shall may might must there here this that these those please tell about have has had having any some hi hello hey ' +
    'thanks thank just also get got need want like know let im ive id youre dont doesnt cant wont into than then too very'
  ).split(' '),
);

/** Case, punctuation and whitespace normalised: the wording shown for a group of questions. */
export function normalizeQuestion(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/['’]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * The grouping key of a question: the sorted, de-duplicated Porter2 stems of its content
 * words ("How much do your services cost?" and "how much does the service cost" both give
 * "cost much servic"). A question of stop words only keeps its normalised words, so "hi?" and
 * "hello" stay apart rather than both becoming empty. Empty for empty text.
 */
export function questionKey(text: string): string {
  const words = normalizeQuestion(text).split(' ').filter(Boolean);
  const content = words.filter((w) => !STOP_WORDS.has(w));
  const stems = new Set((content.length ? content : words).map((w) => (/^\p{L}+$/u.test(w) ? stem(w) : w)));
  return [...stems].sort().join(' ');
}

/** The Porter2 stems of every word, in order (stop words kept): what the offline intent classifier matches cues against. */
export function tokens(text: string): string[] {
  return normalizeQuestion(text)
    .split(' ')
    .filter(Boolean)
    .map((w) => (/^\p{L}+$/u.test(w) ? stem(w) : w));
}
