import { Readability } from '@mozilla/readability';
import MarkdownIt from 'markdown-it';
type Token = MarkdownIt.Token;

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
  firstChild: NodeLike | null;
  nextSibling: NodeLike | null;
}

/**
 * Readability runs only on documents at most this deep and this large: its scoring walks
 * ancestors and retries, which grows much faster than the input on deep or huge trees
 * (1,000 nested <div>s took 16 s; see docs/security.md). Past either bound the whole body's
 * text is used, which is linear.
 */
export const READABILITY_MAX_DEPTH = 60;
export const READABILITY_MAX_ELEMENTS = 3_000;

/** Element count and depth of a subtree, iteratively (no recursion: any depth is fine). */
function measure(root: NodeLike): { elements: number; depth: number } {
  let elements = 0;
  let depth = 0;
  const stack: Array<[NodeLike, number]> = [[root, 0]];
  while (stack.length) {
    const [node, d] = stack.pop()!;
    if (node.nodeType !== 1) continue;
    elements++;
    if (d > depth) depth = d;
    for (let child = node.firstChild; child; child = child.nextSibling) stack.push([child, d + 1]);
  }
  return { elements, depth };
}

/**
 * Text of a DOM subtree: blocks separated by blank lines, headings as `#` lines, cells by " | ".
 * Iterative, children reached by `firstChild`/`nextSibling` (linkedom builds a fresh array
 * for every `childNodes` read, which made indexing it quadratic): linear in the tree, any depth.
 */
function domToText(root: NodeLike): string {
  const out: string[] = [];
  // A frame is a node to enter, or (a string) what to write when leaving a block.
  const stack: Array<NodeLike | string> = [root];
  while (stack.length) {
    const item = stack.pop()!;
    if (typeof item === 'string') {
      out.push(item);
      continue;
    }
    const node = item;
    if (node.nodeType === 3) {
      out.push((node.textContent ?? '').replace(/\s+/g, ' '));
      continue;
    }
    if (node.nodeType !== 1) continue;
    const name = node.nodeName.toUpperCase();
    const heading = HEADING.exec(name);
    if (heading) {
      const text = (node.textContent ?? '').replace(/\s+/g, ' ').trim();
      if (text) out.push(`\n\n${'#'.repeat(Number(heading[1]))} ${text}\n\n`);
      continue;
    }
    const block = BLOCK.has(name);
    if (block) out.push('\n\n');
    if (name === 'LI') out.push('- ');
    if (name === 'TD' || name === 'TH') out.push(' | ');
    if (block) stack.push('\n\n');
    const children: NodeLike[] = [];
    for (let child = node.firstChild; child; child = child.nextSibling) children.push(child);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
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

  const body = (document.body ?? document.documentElement) as unknown as NodeLike | null;
  const size = body ? measure(body) : { elements: 0, depth: 0 };
  if (options.mainContent && size.depth <= READABILITY_MAX_DEPTH && size.elements <= READABILITY_MAX_ELEMENTS) {
    try {
      // Readability mutates the document; it is ours and thrown away afterwards.
      const article = new Readability(document, { serializer: (node) => node, maxElemsToParse: READABILITY_MAX_ELEMENTS * 2 }).parse();
      const content = article?.content as unknown as NodeLike | null | undefined;
      if (content) {
        const text = domToText(content);
        if (text.length >= 80) return { title: article?.title?.trim() || title, text };
      }
    } catch {
      // Readability gives up on odd markup: fall back to the whole body below.
    }
  }
  return { title, text: body ? domToText(body) : '' };
}

/**
 * The Markdown parser: markdown-it (CommonMark). Its block and inline rules are hand-written
 * scanners, not backtracking regexes, so time grows about linearly with the input (measured in
 * docs/security.md); `maxNesting` bounds nested blockquotes, lists and emphasis. Raw HTML is
 * recognised (so its tags can be dropped, not indexed as text); no linkify, no typographer.
 */
const markdown = new MarkdownIt('default', { html: true, linkify: false, typographer: false });
markdown.set({ maxNesting: 50 });

/** Text of raw HTML in Markdown: the tags dropped, in one linear pass (no regex). */
function stripTags(html: string): string {
  let out = '';
  let inTag = false;
  let start = 0;
  for (let i = 0; i < html.length; i++) {
    const c = html.charCodeAt(i);
    if (!inTag && c === 60 /* < */) {
      out += html.slice(start, i);
      inTag = true;
    } else if (inTag && c === 62 /* > */) {
      inTag = false;
      start = i + 1;
    }
  }
  return inTag ? out : out + html.slice(start);
}

function inlineText(token: Token): string {
  if (!token.children) return token.content;
  let out = '';
  for (const child of token.children) {
    switch (child.type) {
      case 'text':
      case 'code_inline':
        out += child.content;
        break;
      case 'image':
        out += child.content; // the alt text
        break;
      case 'softbreak':
      case 'hardbreak':
        out += '\n';
        break;
      case 'html_inline':
        break; // a tag: dropped
      default:
        break; // link, emphasis and strong markers: their text is in the text tokens
    }
  }
  return out;
}

/**
 * Plain text from Markdown, keeping `#` headings (the chunker's section boundaries) and
 * list markers; links keep their text, images their alt text, emphasis and HTML tags go,
 * code keeps its text, table cells are joined by " | ". Parsed by markdown-it (see above).
 */
export function markdownToText(source: string): string {
  const tokens = markdown.parse(source, {});
  const out: string[] = [];
  const lists: Array<{ ordered: boolean; next: number }> = [];
  let cells = 0;
  for (const token of tokens) {
    switch (token.type) {
      case 'heading_open':
        out.push(`\n\n${'#'.repeat(Number(token.tag.slice(1)))} `);
        break;
      case 'heading_close':
        out.push('\n\n');
        break;
      case 'paragraph_close':
        out.push(token.hidden ? '\n' : '\n\n');
        break;
      case 'bullet_list_open':
        lists.push({ ordered: false, next: 0 });
        break;
      case 'ordered_list_open':
        lists.push({ ordered: true, next: Number(token.attrGet('start') ?? 1) });
        break;
      case 'bullet_list_close':
      case 'ordered_list_close':
        lists.pop();
        out.push('\n');
        break;
      case 'list_item_open': {
        const list = lists[lists.length - 1];
        out.push(list?.ordered ? `${list.next++}. ` : '- ');
        break;
      }
      case 'inline':
        out.push(inlineText(token));
        break;
      case 'fence':
      case 'code_block':
        out.push(`\n${token.content}\n\n`);
        break;
      case 'html_block':
        out.push(`\n${stripTags(token.content)}\n\n`);
        break;
      case 'tr_open':
        cells = 0;
        break;
      case 'th_open':
      case 'td_open':
        if (cells++ > 0) out.push(' | ');
        break;
      case 'tr_close':
        out.push('\n');
        break;
      case 'table_close':
      case 'blockquote_close':
        out.push('\n\n');
        break;
      default:
        break; // blockquote, hr, table and list wrappers: structure only
    }
  }
  return normalizeText(out.join(''));
}

/** One extraction: what `addKnowledgeDocument` and the crawler ask of a TextExtractor. */
export interface ExtractRequest {
  format: 'html' | 'markdown' | 'text';
  content: string;
  /** HTML only: keep the main article (Readability) when one is found. */
  mainContent?: boolean;
}

/** The text of a document, synchronously: Markdown, HTML or plain text. */
export function extractText(req: ExtractRequest): ExtractedPage {
  if (req.format === 'html') return htmlToText(req.content, { mainContent: req.mainContent });
  if (req.format === 'markdown') return { title: null, text: markdownToText(req.content) };
  return { title: null, text: normalizeText(req.content) };
}
