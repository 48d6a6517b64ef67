import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The first ```LANG code block after HEADING in README.md, as written (tests run README examples). */
export function readmeCodeBlock(heading: string, lang: string): string {
  const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
  const at = readme.indexOf(heading);
  if (at < 0) throw new Error(`README has no "${heading}"`);
  const match = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(readme.slice(at));
  if (!match) throw new Error(`no ${lang} block after "${heading}" in README`);
  return match[1];
}
