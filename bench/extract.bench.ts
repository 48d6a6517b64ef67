import { performance } from 'node:perf_hooks';
import { htmlToText, markdownToText } from '../src/knowledge/text-extract';

/**
 * `npm run bench -- extract`: time of the text extractors (src/knowledge/text-extract.ts) on
 * ordinary large documents and on the pathological inputs of issue 10 (a heading line of
 * `"#a" + N spaces + "b"`, runs of brackets, backticks and nested emphasis). Prints one JSON
 * line per input: bytes, milliseconds (best of 3) and output length. Pathological sizes can be
 * set with EXTRACT_SPACES (default 20000). Numbers depend on the machine; compare within one run.
 */

function time<T>(fn: () => T, runs = 3): { ms: number; out: T } {
  let best = Infinity;
  let out!: T;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    out = fn();
    best = Math.min(best, performance.now() - t0);
  }
  return { ms: Math.round(best * 10) / 10, out };
}

function markdownDocument(bytes: number): string {
  const section = (i: number) =>
    `## Section ${i}\n\nSome **bold** text, some _emphasis_, a [link](https://example.com/${i}) and \`code\`.\n\n` +
    `* item one\n* item two with ![an image](https://example.com/i.png)\n\n> a quote\n\n\`\`\`\nfenced code ${i}\n\`\`\`\n\n`;
  const parts: string[] = ['# Handbook\n\n'];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const s = section(i);
    parts.push(s);
    size += s.length;
  }
  return parts.join('');
}

export async function runExtractBench(): Promise<void> {
  const spaces = Number(process.env.EXTRACT_SPACES ?? 20_000);
  const md2mb = markdownDocument(2 * 1024 * 1024);
  const inputs: Array<[string, string, (s: string) => string]> = [
    ['markdown 2 MB document', md2mb, markdownToText],
    [`markdown "#a" + ${spaces} spaces + "b"`, `#a${' '.repeat(spaces)}b`, markdownToText],
    [`markdown ${spaces} "[" + "](" `, '['.repeat(spaces) + '](', markdownToText],
    [`markdown ${spaces} "![" `, '!['.repeat(spaces), markdownToText],
    [`markdown ${spaces} backticks`, '`'.repeat(spaces) + 'a', markdownToText],
    [`markdown ${spaces} "*a" `, '*a'.repeat(spaces), markdownToText],
    [`markdown ${spaces} "<a" `, '<a'.repeat(spaces), markdownToText],
    [`markdown ${spaces} nested ">" `, '>'.repeat(spaces) + ' x', markdownToText],
    ['html 2 MB document', `<html><body>${'<p>Some <b>bold</b> text and a <a href="/x">link</a>.</p>'.repeat(2 * 1024 * 1024 / 60)}</body></html>`, (s) => htmlToText(s, { mainContent: true }).text],
    [`html ${spaces} nested divs`, '<div>'.repeat(spaces) + 'x', (s) => htmlToText(s, { mainContent: true }).text],
  ];
  for (const [name, input, fn] of inputs) {
    const { ms, out } = time(() => fn(input), input.length > 1_000_000 ? 3 : 1);
    process.stdout.write(`${JSON.stringify({ input: name, bytes: input.length, ms, outputChars: out.length })}\n`);
  }
}
