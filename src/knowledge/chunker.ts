/**
 * Heading- and paragraph-aware chunking. Text is split into sections at `#` heading lines;
 * each section's paragraphs are packed into passages of about `target` characters (never
 * above `max`), each starting with its heading trail ("Services > Pricing") so a passage
 * makes sense alone, and carrying the tail of the previous passage of the same section
 * (`overlap` characters, cut at a sentence or word boundary) so a fact split across a
 * boundary is still found.
 */
export interface ChunkOptions {
  target: number;
  max: number;
  overlap: number;
}

export const DEFAULT_CHUNKING: ChunkOptions = { target: 1000, max: 1200, overlap: 150 };

interface Section {
  trail: string;
  paragraphs: string[];
}

function sections(text: string): Section[] {
  const result: Section[] = [];
  const trail: string[] = [];
  let current: Section = { trail: '', paragraphs: [] };
  let paragraph: string[] = [];
  const flushParagraph = () => {
    const p = paragraph.join('\n').trim();
    if (p) current.paragraphs.push(p);
    paragraph = [];
  };
  for (const line of text.split('\n')) {
    const heading = /^(#{1,6})\s+(.+)$/.exec(line);
    if (heading) {
      flushParagraph();
      if (current.paragraphs.length) result.push(current);
      const level = heading[1].length;
      trail.length = Math.min(trail.length, level - 1);
      while (trail.length < level - 1) trail.push('');
      trail[level - 1] = heading[2].trim();
      current = { trail: trail.filter(Boolean).join(' > '), paragraphs: [] };
    } else if (line.trim() === '') {
      flushParagraph();
    } else {
      paragraph.push(line);
    }
  }
  flushParagraph();
  if (current.paragraphs.length) result.push(current);
  return result;
}

/** Splits a piece longer than `max` at sentence ends, then at spaces, then hard. */
function splitLong(piece: string, max: number): string[] {
  if (piece.length <= max) return [piece];
  const sentences = piece.match(/[^.!?\n]+(?:[.!?]+|\n|$)\s*/g) ?? [piece];
  const out: string[] = [];
  let buf = '';
  for (const s of sentences) {
    if (s.length > max) {
      if (buf) out.push(buf.trim());
      buf = '';
      for (let i = 0; i < s.length; ) {
        let end = Math.min(i + max, s.length);
        const space = s.lastIndexOf(' ', end);
        if (end < s.length && space > i + max / 2) end = space;
        out.push(s.slice(i, end).trim());
        i = end;
      }
      continue;
    }
    if (buf.length + s.length > max) {
      out.push(buf.trim());
      buf = '';
    }
    buf += s;
  }
  if (buf.trim()) out.push(buf.trim());
  return out.filter(Boolean);
}

/** The last `overlap` characters of a passage, starting at a sentence or word boundary. */
function tail(text: string, overlap: number): string {
  if (overlap <= 0 || text.length <= overlap) return overlap > 0 ? text : '';
  const cut = text.slice(text.length - overlap);
  const sentence = cut.search(/[.!?]\s+\S/);
  if (sentence >= 0) return cut.slice(sentence + 1).trim();
  const space = cut.indexOf(' ');
  return space >= 0 ? cut.slice(space + 1) : cut;
}

export function chunkText(text: string, options: ChunkOptions = DEFAULT_CHUNKING): string[] {
  const chunks: string[] = [];
  for (const section of sections(text)) {
    const prefix = section.trail ? `${section.trail}\n` : '';
    const room = Math.max(200, options.max - prefix.length);
    const target = Math.min(options.target, room);
    const pieces = section.paragraphs.flatMap((p) => splitLong(p, room));
    let body = '';
    let fresh = false; // body holds text not yet emitted (beyond the carried overlap)
    for (const piece of pieces) {
      if (body && fresh && body.length + 2 + piece.length > room) {
        chunks.push(prefix + body);
        const carried = tail(body, options.overlap);
        body = carried && carried.length + 2 + piece.length <= room ? carried : '';
        fresh = false;
      }
      body = body ? `${body}\n\n${piece}` : piece;
      fresh = true;
      if (body.length >= target) {
        chunks.push(prefix + body);
        body = tail(body, options.overlap);
        fresh = false;
      }
    }
    if (fresh && body) chunks.push(prefix + body);
  }
  return chunks;
}
