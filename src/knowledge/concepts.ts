import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { STOP, type Pos, type WordNetExpander } from './query-expansion';

/**
 * WordNet concept matching: a second, learned-free ranking signal beside the full-text score,
 * for questions that share no word with their answer ("Where can I leave my car?" against
 * "room for eight vehicles"). Both the question and each passage become a bag of concepts: every
 * content word's WordNet senses (synsets), their hypernyms up to `depth` levels, their
 * derivationally related senses, and the word itself; a concept reached through `d` links weighs
 * `decay^d`. Question word and passage meet in the middle: "car" → motor vehicle ← "vehicle" is
 * two links apart even though neither is the other's synonym, which one-sided query expansion
 * (`query-expansion.ts`) cannot see.
 *
 * A passage's score for one question word is the best `weight(question) × weight(passage) × idf`
 * over the concepts they share, idf over the business's passages (a concept every passage has,
 * "entity", says nothing), divided by the idf of a concept found in exactly one passage so an
 * exact word found once counts 1. The passage's coverage is the sum over the question's words
 * divided by their count, where a word nothing of the business relates to counts by its part of
 * speech as in the full-text score (a noun fully, a verb, adjective or adverb `nonNounWeight`).
 * What each option adds is measured by `npm run bench -- quality` (docs/answers.md).
 */
export interface ConceptOptions {
  /** Senses per part of speech, most frequent first. */
  senses: number;
  /** Hypernym levels followed from each sense. */
  depth: number;
  /** Weight factor per link. */
  decay: number;
  derivations: boolean;
  /** Content words of each sense's definition, at `decay²`. */
  gloss: boolean;
  /** Denominator weight of a non-noun word that nothing of the business relates to. */
  nonNounWeight: number;
}

export const DEFAULT_CONCEPTS: ConceptOptions = { senses: 2, depth: 2, decay: 0.5, derivations: true, gloss: true, nonNounWeight: 0.25 };

export type ConceptBag = ReadonlyMap<string, number>;

const WORD = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;

/** Content words of a text, lower case; hyphenated words also as their parts ("gluten-free" → gluten, free). */
export function contentWords(text: string): string[] {
  const out = new Set<string>();
  for (const raw of text.toLowerCase().match(WORD) ?? []) {
    const word = raw.replace(/['’]s$/, '').replace(/’/g, "'");
    if (!STOP.has(word)) out.add(word);
    if (word.includes('-')) for (const part of word.split('-')) if (part && !STOP.has(part)) out.add(part);
  }
  return [...out];
}

export interface ConceptPassage {
  /** Stable for the passage's text (a chunk id, or a hash of the text); keys the bag cache. */
  key: string;
  text: string;
}

export class ConceptIndex {
  private readonly words = new LRUCache<string, ConceptBag>({ max: 50_000 });
  private readonly bags = new LRUCache<string, ConceptBag>({ max: 20_000 });

  constructor(
    private readonly wordnet: WordNetExpander,
    private readonly options: ConceptOptions = DEFAULT_CONCEPTS,
  ) {}

  /** The concepts of one word with their weights (the word itself: 1). */
  concepts(word: string): ConceptBag {
    const cached = this.words.get(word);
    if (cached) return cached;
    const o = this.options;
    const out = new Map<string, number>();
    const put = (key: string, weight: number) => {
      if ((out.get(key) ?? 0) < weight) out.set(key, weight);
    };
    put(`w:${word}`, 1);
    const walk = (pos: Pos, offset: number, depth: number, weight: number) => {
      put(`${pos}${offset}`, weight);
      if (depth >= o.depth) return;
      for (const p of this.wordnet.synset(pos, offset).pointers) {
        if (p.symbol === '@' || p.symbol === '@i' || p.symbol === '&') walk(p.pos, p.offset, depth + 1, weight * o.decay);
      }
    };
    for (const { pos, offsets } of this.wordnet.lookup(word)) {
      for (const offset of offsets.slice(0, o.senses)) {
        walk(pos, offset, 0, 1);
        const synset = this.wordnet.synset(pos, offset);
        if (o.derivations) for (const p of synset.pointers) if (p.symbol === '+') walk(p.pos, p.offset, 1, o.decay);
        if (o.gloss) {
          for (const g of synset.gloss.split(';')[0].toLowerCase().match(/[a-z]+/g) ?? []) if (g.length > 2 && !STOP.has(g)) put(`w:${g}`, o.decay * o.decay);
        }
      }
    }
    this.words.set(word, out);
    return out;
  }

  /** The concepts of a text: for each, the best weight any of its words gives it. */
  bag(text: string, key = textKey(text)): ConceptBag {
    const cached = this.bags.get(key);
    if (cached) return cached;
    const out = new Map<string, number>();
    for (const word of contentWords(text)) for (const [c, w] of this.concepts(word)) if ((out.get(c) ?? 0) < w) out.set(c, w);
    this.bags.set(key, out);
    return out;
  }

  /** Coverage (0..1) of the question by each passage, in the passages' order. */
  score(question: string, passages: readonly ConceptPassage[]): number[] {
    const bags = passages.map((p) => this.bag(p.text, p.key));
    const words = contentWords(question);
    if (!words.length || !bags.length) return bags.map(() => 0);
    const df = new Map<string, number>();
    for (const word of words) for (const c of this.concepts(word).keys()) df.set(c, 0);
    for (const bag of bags) for (const c of df.keys()) if (bag.has(c)) df.set(c, (df.get(c) ?? 0) + 1);
    const n = bags.length;
    const idfOne = Math.log(1 + n);
    const idf = (c: string) => Math.log(1 + n / Math.max(0.5, df.get(c) ?? 0));
    let denominator = 0;
    for (const word of words) {
      const related = [...this.concepts(word).keys()].some((c) => (df.get(c) ?? 0) > 0);
      denominator += related || this.nounLike(word) ? 1 : this.options.nonNounWeight;
    }
    return bags.map((bag) => {
      let sum = 0;
      for (const word of words) {
        let best = 0;
        for (const [c, w] of this.concepts(word)) {
          const pw = bag.get(c);
          if (pw !== undefined) best = Math.max(best, (w * pw * idf(c)) / idfOne);
        }
        sum += Math.min(1, best);
      }
      return sum / Math.max(1, denominator);
    });
  }

  private nounLike(word: string): boolean {
    const entries = this.wordnet.lookup(word);
    if (!entries.length) return true;
    const senses = (pos: Pos) => entries.find((e) => e.pos === pos)?.offsets.length ?? 0;
    const noun = senses('n');
    return noun > 0 && noun >= Math.max(senses('v'), senses('a'), senses('r'));
  }
}

function textKey(text: string): string {
  return createHash('sha1').update(text).digest('base64url');
}
