import { Readability } from '@mozilla/readability';

// linkedom ships ESM types under "type": "module" while its CommonJS build is what `require`
// loads; TypeScript (node16, CJS output) refuses the typed import, so we type the one call.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { parseHTML } = require('linkedom') as { parseHTML: (html: string) => { document: Document } };

/**
 * Turning document formats into the plain text we chunk and index. Headings survive as
 * Markdown-style `#` lines so the chunker can keep sections together and prefix passages
 * with their heading.
 */

const DROP = 'script, style, noscript, template, svg, canvas, iframe, object, embed, form, button, select, input, textarea, nav, footer';
const BLOCK = new Set([
  'ADDRESS', 'ARTICLE', 'ASIDE', 'BLOCKQUOTE', 'BR', 'DD', 'DIV', 'DL', 'DT', 'FIELDSET', 'FIGCAPTION', 'FIGURE', 'HEADER',
  'HR', 'LI', 'MAIN', 'OL', 'P', 'PRE', 'SECTION', 'TABLE', 'TBODY', 'THEAD', 'TFOOT', 'TR', 'UL', 'BODY', 'HTML',
]);
const HEADING = /^H([1-6])$/;

interface NodeLike {
  nodeType: number;
  nodeName: string;
  textContent: string | null;
  childNodes: ArrayLike<NodeLike>;
}

/** Text of a DOM subtree: blocks separated by blank lines, headings as `#` lines, cells by " | ". */
function domToText(root: NodeLike): string {
  const out: string[] = [];
  const walk = (node: NodeLike): void => {
    if (node.nodeType === 3) {
      out.push((node.textContent ?? '').replace(/\s+/g, ' '));
      return;
    }
    if (node.nodeType !== 1) return;
    const name = node.nodeName.toUpperCase();
    const heading = HEADING.exec(name);
    if (heading) {
      const text = (node.textContent ?? '').replace(/\s+/g, ' ').trim();
      if (text) out.push(`\n\n${'#'.repeat(Number(heading[1]))} ${text}\n\n`);
      return;
    }
    const block = BLOCK.has(name);
    if (block) out.push('\n\n');
    if (name === 'LI') out.push('- ');
    if (name === 'TD' || name === 'TH') out.push(' | ');
    for (let i = 0; i < node.childNodes.length; i++) walk(node.childNodes[i]);
    if (block) out.push('\n\n');
  };
  walk(root);
  return normalizeText(out.join(''));
}

/** Collapses runs of spaces and blank lines; trims every line. */
export function normalizeText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

export interface ExtractedPage {
  title: string | null;
  text: string;
}

/**
 * Clean text from HTML: scripts, styles, navigation and form controls dropped. When
 * `mainContent` is set and Readability finds an article, only the article is kept (a
 * crawled page's menus and footers are noise); otherwise the whole body.
 */
export function htmlToText(html: string, options: { mainContent?: boolean } = {}): ExtractedPage {
  const { document } = parseHTML(html.includes('<html') ? html : `<!doctype html><html><head></head><body>${html}</body></html>`);
  const title = document.querySelector('title')?.textContent?.trim() || document.querySelector('h1')?.textContent?.trim() || null;
  for (const el of Array.from(document.querySelectorAll(DROP))) el.remove();

  if (options.mainContent) {
    try {
      // Readability mutates the document; it is ours and thrown away afterwards.
      const article = new Readability(document, { serializer: (node) => node }).parse();
      const content = article?.content as unknown as NodeLike | null | undefined;
      if (content) {
        const text = domToText(content);
        if (text.length >= 80) return { title: article?.title?.trim() || title, text };
      }
    } catch {
      // Readability gives up on odd markup: fall back to the whole body below.
    }
  }
  const body = (document.body ?? document.documentElement) as unknown as NodeLike | null;
  return { title, text: body ? domToText(body) : '' };
}

/**
 * Plain text from Markdown, keeping `#` headings (the chunker's section boundaries) and
 * list markers; links keep their text, images their alt text, emphasis and HTML tags go.
 */
export function markdownToText(markdown: string): string {
  let inFence = false;
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      inFence = !inFence;
      return '';
    }
    if (inFence) return line;
    return line
      .replace(/^(#{1,6})\s*(.*?)\s*#*\s*$/, (_m, hashes: string, text: string) => `${hashes} ${text}`)
      .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
      .replace(/<[^>]+>/g, '')
      .replace(/(\*\*|__)(.*?)\1/g, '$2')
      .replace(/(^|\W)[*_]([^*_]+)[*_](?=\W|$)/g, '$1$2')
      .replace(/`([^`]+)`/g, '$1')
      .replace(/^\s*>\s?/, '')
      .replace(/^\s*[*+]\s+/, '- ')
      .replace(/^\s*([-*_]\s*){3,}$/, '');
  });
  return normalizeText(lines.join('\n'));
}
