/**
 * Server text (model replies, business fields) becomes DOM nodes here, and only as text:
 * nothing is ever parsed as HTML. Web addresses become links when they are http(s), opened in
 * a new tab with rel="noopener noreferrer"; anything else (javascript:, data:) stays text.
 */

const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
/** Punctuation that ends a sentence rather than the address ("see https://x.example."). */
const TRAILING = /[.,;:!?)\]}'"]+$/;

/** The URL if it is a well-formed http(s) address, else null. */
export function safeHttpUrl(raw: string | null | undefined): string | null {
  if (!raw) return null;
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

export function link(href: string, text: string, part?: string): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = href;
  a.target = '_blank';
  a.rel = 'noopener noreferrer';
  a.textContent = text;
  if (part) a.setAttribute('part', part);
  return a;
}

/** `text` as a fragment of text nodes and links. */
export function textWithLinks(text: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(URL_RE)) {
    const start = match.index ?? 0;
    const raw = match[0].replace(TRAILING, '');
    const href = safeHttpUrl(raw);
    if (!href) continue;
    if (start > last) fragment.append(document.createTextNode(text.slice(last, start)));
    fragment.append(link(href, raw));
    last = start + raw.length;
  }
  if (last < text.length) fragment.append(document.createTextNode(text.slice(last)));
  return fragment;
}

/** An element with attributes and text content (never HTML). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}
