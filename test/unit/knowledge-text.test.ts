import { chunkText } from '../../src/knowledge/chunker';
import { htmlToText, markdownToText } from '../../src/knowledge/text-extract';

describe('HTML cleaning', () => {
  const page = `<!doctype html><html><head><title>Acme Dental</title><style>.x { color: red }</style>
    <script>window.secretTracking = 1</script></head><body>
    <nav><a href="/">Home</a></nav>
    <h1>Our services</h1><p>We offer <b>teeth whitening</b> and cleaning.</p>
    <noscript>Enable JS</noscript><ul><li>Whitening</li><li>Implants</li></ul>
    <script type="application/ld+json">{"x":1}</script></body></html>`;

  it('drops scripts, styles and noscript, keeps text, headings and list items', () => {
    const { title, text } = htmlToText(page);
    expect(title).toBe('Acme Dental');
    expect(text).toContain('# Our services');
    expect(text).toContain('We offer teeth whitening and cleaning.');
    expect(text).toContain('- Whitening');
    expect(text).not.toMatch(/secretTracking|color: red|Enable JS|"x":1/);
  });

  it('keeps only the main article of a crawled page when Readability finds one', () => {
    const body = Array.from({ length: 8 }, (_, i) => `<p>Paragraph ${i} about our friendly clinic, its caring staff and modern equipment, written at length.</p>`).join('');
    const html = `<html><head><title>Clinic</title></head><body><header><div class="menu">Menu Login Cart</div></header>
      <article><h2>About us</h2>${body}</article><div class="sidebar">Buy now! Advert</div></body></html>`;
    const { text } = htmlToText(html, { mainContent: true });
    expect(text).toContain('Paragraph 7 about our friendly clinic');
    expect(text).not.toContain('Buy now! Advert');
  });
});

describe('Markdown to text', () => {
  it('keeps headings and list markers, strips link and emphasis syntax', () => {
    const text = markdownToText('# Title\n\nSee **our** [prices](https://x.test/p) and `code`.\n\n* one\n* two');
    expect(text).toBe('# Title\n\nSee our prices and code.\n\n- one\n- two');
  });
});

describe('chunking a long markdown document', () => {
  const sectionText = (name: string, n: number) =>
    `## ${name}\n\n` +
    Array.from({ length: n }, (_, i) => `${name} paragraph ${i}. It explains one fact in a sentence or two. Then it adds a detail worth knowing.`).join('\n\n');
  const doc = markdownToText(`# Handbook\n\nWelcome to the handbook.\n\n${sectionText('Pricing', 40)}\n\n${sectionText('Opening hours', 25)}\n\n## Tiny\n\nShort.`);
  const chunks = chunkText(doc);

  it('packs paragraphs into passages of about 800–1,200 characters', () => {
    const full = chunks.filter((c) => !c.includes('Short.') && !c.includes('Welcome to the handbook'));
    expect(full.length).toBeGreaterThan(6);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(1200);
    // All but the last passage of each section reach the target size.
    const bigOnes = full.filter((c) => c.length >= 800);
    expect(bigOnes.length).toBeGreaterThanOrEqual(full.length - 2);
  });

  it('never mixes sections and prefixes each passage with its heading trail', () => {
    for (const c of chunks) {
      const hasPricing = c.includes('Pricing paragraph');
      const hasHours = c.includes('Opening hours paragraph');
      expect(hasPricing && hasHours).toBe(false);
      if (hasPricing) expect(c.startsWith('Handbook > Pricing\n')).toBe(true);
      if (hasHours) expect(c.startsWith('Handbook > Opening hours\n')).toBe(true);
    }
    expect(chunks.some((c) => c === 'Handbook > Tiny\nShort.')).toBe(true);
  });

  it('overlaps consecutive passages of a section and loses no paragraph', () => {
    const pricing = chunks.filter((c) => c.includes('Pricing paragraph'));
    for (let i = 1; i < pricing.length; i++) {
      const prevLast = pricing[i - 1].trim().split('\n').pop() ?? '';
      const tailSentence = prevLast.split('. ').pop() ?? '';
      expect(pricing[i]).toContain(tailSentence);
    }
    for (let i = 0; i < 40; i++) expect(pricing.some((c) => c.includes(`Pricing paragraph ${i}.`))).toBe(true);
  });

  it('splits a single paragraph longer than the maximum at sentence ends', () => {
    const long = Array.from({ length: 60 }, (_, i) => `Sentence number ${i} is here.`).join(' ');
    const parts = chunkText(long);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(1200);
    expect(parts.join(' ')).toContain('Sentence number 59 is here.');
  });
});
