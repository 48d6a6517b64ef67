import { isSupportedCountry } from 'libphonenumber-js/max';
import { BadUserInputError } from '../common/errors';
import type { BusinessEntity } from './business.entity';
import { ContactField, CtaAction, DEFAULT_REQUIRED_CONTACT_FIELDS, WidgetPosition, safeHref, type CtaNodeRecord, type FaqRecord } from './business.profile';
import type { BusinessFieldsInput, CtaNodeInput, FaqInput } from './business.types';

/**
 * Turns a create/update input into the entity fields to write, checking every field and
 * naming the offending one in a BAD_USER_INPUT error. Absent (undefined) fields are left
 * out of the patch; a field given as null is cleared: text → null, lists → [], and
 * themeColor / widgetPosition / voiceEnabled back to their defaults.
 */

export const DEFAULT_THEME_COLOR = '#2563eb';

type Patch = Partial<Omit<BusinessEntity, 'id' | 'createdAt' | 'updatedAt'>>;
type Input = BusinessFieldsInput & { name?: string | null };

const TEXT_LIMITS = {
  description: 2000,
  primaryGoal: 500,
  personality: 500,
  instructions: 8000,
  greeting: 500,
  secondaryGreeting: 500,
  privacyStatement: 2000,
  hours: 1000,
  location: 500,
  buttonText: 60,
} as const;

const LIST_LIMITS = {
  services: { items: 50, length: 200 },
  suggestedQuestions: { items: 20, length: 200 },
  enabledCategories: { items: 50, length: 100 },
} as const;

const MAX_FAQS = 100;
const MAX_CTA_NODES = 200;
const MAX_ORIGINS = 50;
const EMAIL_RE = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$/;
const PHONE_RE = /^[0-9+()\-.\s]{3,40}$/;
const COLOR_RE = /^#[0-9a-fA-F]{6}$/;
const CTA_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

function bad(field: string, problem: string): never {
  throw new BadUserInputError(`${field}: ${problem}`, { field });
}

function text(field: string, value: string, max: number, min = 0): string {
  const v = value.trim();
  if (v.length < min) bad(field, min === 1 ? 'must not be empty' : `must be at least ${min} characters`);
  if (v.length > max) bad(field, `must be at most ${max} characters`);
  return v;
}

function optionalText(field: string, value: string | null, max: number): string | null {
  if (value === null) return null;
  const v = text(field, value, max);
  return v === '' ? null : v;
}

export function httpUrl(field: string, value: string): string {
  const v = text(field, value, 2048, 1);
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    bad(field, 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') bad(field, 'must use http or https');
  // Stored and returned as the parser's href: `"`, `<`, `>` in the path, query or fragment come
  // back percent-encoded, never as typed. What the parser keeps (in a host) is refused.
  const href = safeHref(v);
  if (href === null) bad(field, 'must not contain quotes, angle brackets, backticks, backslashes or spaces in its host');
  if (href.length > 2048) bad(field, 'is longer than 2048 characters once encoded');
  return href;
}

function bareOrigin(field: string, value: string): string {
  const v = value.trim().replace(/\/$/, '');
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    bad(field, `"${value}" is not an origin like https://example.com`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== v) {
    bad(field, `"${value}" is not a bare http(s) origin like https://example.com (no path, query or trailing parts)`);
  }
  return v;
}

function list(field: string, values: string[], maxItems: number, maxLength: number): string[] {
  if (values.length > maxItems) bad(field, `at most ${maxItems} entries`);
  return values.map((v, i) => text(`${field}[${i}]`, v, maxLength, 1));
}

const MAX_SYNONYM_GROUPS = 200;

/** Groups of 2–20 distinct terms (lower-cased, spaces collapsed) of 1–60 characters. */
function synonyms(groups: string[][]): string[][] {
  if (groups.length > MAX_SYNONYM_GROUPS) bad('synonyms', `at most ${MAX_SYNONYM_GROUPS} groups`);
  return groups.map((group, i) => {
    const terms = [...new Set((group ?? []).map((t, j) => text(`synonyms[${i}][${j}]`, t ?? '', 60, 1).toLowerCase().replace(/\s+/g, ' ')))];
    if (terms.length < 2 || terms.length > 20) bad(`synonyms[${i}]`, 'must hold 2 to 20 different terms');
    return terms;
  });
}

function faqs(values: FaqInput[]): FaqRecord[] {
  if (values.length > MAX_FAQS) bad('faqs', `at most ${MAX_FAQS} entries`);
  return values.map((f, i) => ({
    question: text(`faqs[${i}].question`, f.question, 500, 1),
    answer: text(`faqs[${i}].answer`, f.answer, 4000, 1),
  }));
}

/** Ids unique, children exist, no cycles, LINK has a url, SEND has a message. */
export function ctaTree(nodes: CtaNodeInput[]): CtaNodeRecord[] {
  if (nodes.length > MAX_CTA_NODES) bad('ctaTree', `at most ${MAX_CTA_NODES} nodes`);
  const out: CtaNodeRecord[] = nodes.map((n, i) => {
    const f = `ctaTree[${i}]`;
    if (!CTA_ID_RE.test(n.id)) bad(`${f}.id`, 'must be 1–64 characters of A–Z, a–z, 0–9, "_" or "-"');
    const node: CtaNodeRecord = {
      id: n.id,
      label: text(`${f}.label`, n.label, 80, 1),
      action: n.action,
      children: [...(n.children ?? [])],
      message: n.message == null ? null : optionalText(`${f}.message`, n.message, 1000),
      url: n.url == null ? null : httpUrl(`${f}.url`, n.url),
    };
    if (node.action === CtaAction.LINK && !node.url) bad(`${f}.url`, `LINK node "${n.id}" needs a url`);
    if (node.action === CtaAction.SEND && !node.message) bad(`${f}.message`, `SEND node "${n.id}" needs a message`);
    return node;
  });
  const byId = new Map<string, CtaNodeRecord>();
  out.forEach((n, i) => {
    if (byId.has(n.id)) bad(`ctaTree[${i}].id`, `duplicate node id "${n.id}"`);
    byId.set(n.id, n);
  });
  out.forEach((n, i) =>
    n.children.forEach((c, j) => {
      if (!byId.has(c)) bad(`ctaTree[${i}].children[${j}]`, `node "${n.id}" has a child "${c}" that is not in the tree`);
    }),
  );
  // Depth-first search; a node met again while still on the path closes a cycle.
  const state = new Map<string, 'active' | 'done'>();
  const visit = (id: string, path: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'active') bad('ctaTree', `cycle: ${[...path.slice(path.indexOf(id)), id].join(' → ')}`);
    state.set(id, 'active');
    for (const c of byId.get(id)!.children) visit(c, [...path, id]);
    state.set(id, 'done');
  };
  for (const n of out) visit(n.id, []);
  return out;
}

/** Checks every present field of the input and returns the entity patch. */
export function businessPatch(input: Input, mode: 'create' | 'update'): Patch {
  const patch: Patch = {};
  if (input.name !== undefined || mode === 'create') {
    if (input.name == null) bad('name', 'is required and cannot be null');
    patch.name = text('name', input.name, 200, 1);
  }
  for (const [field, max] of Object.entries(TEXT_LIMITS) as Array<[keyof typeof TEXT_LIMITS, number]>) {
    const v = input[field];
    if (v !== undefined) patch[field] = optionalText(field, v, max);
  }
  for (const [field, lim] of Object.entries(LIST_LIMITS) as Array<[keyof typeof LIST_LIMITS, { items: number; length: number }]>) {
    const v = input[field];
    if (v !== undefined) patch[field] = v === null ? [] : list(field, v, lim.items, lim.length);
  }
  if (input.contactEmail !== undefined) {
    const v = optionalText('contactEmail', input.contactEmail, 254);
    if (v !== null && !EMAIL_RE.test(v)) bad('contactEmail', 'must be an e-mail address like name@example.com');
    patch.contactEmail = v;
  }
  if (input.contactPhone !== undefined) {
    const v = optionalText('contactPhone', input.contactPhone, 40);
    if (v !== null && !PHONE_RE.test(v)) bad('contactPhone', 'may contain only digits, spaces and + ( ) - .');
    patch.contactPhone = v;
  }
  if (input.websiteUrl !== undefined) patch.websiteUrl = input.websiteUrl === null ? null : httpUrl('websiteUrl', input.websiteUrl);
  if (input.logoUrl !== undefined) patch.logoUrl = input.logoUrl === null ? null : httpUrl('logoUrl', input.logoUrl);
  if (input.faqs !== undefined) patch.faqs = input.faqs === null ? [] : faqs(input.faqs);
  if (input.ctaTree !== undefined) patch.ctaTree = input.ctaTree === null ? [] : ctaTree(input.ctaTree);
  if (input.themeColor !== undefined) {
    if (input.themeColor !== null && !COLOR_RE.test(input.themeColor.trim())) bad('themeColor', 'must be a colour like "#1a2b3c"');
    patch.themeColor = input.themeColor === null ? DEFAULT_THEME_COLOR : input.themeColor.trim().toLowerCase();
  }
  if (input.widgetPosition !== undefined) patch.widgetPosition = input.widgetPosition ?? WidgetPosition.BOTTOM_RIGHT;
  if (input.voiceEnabled !== undefined) patch.voiceEnabled = input.voiceEnabled ?? false;
  if (input.allowedOrigins !== undefined) {
    const v = input.allowedOrigins ?? [];
    if (v.length > MAX_ORIGINS) bad('allowedOrigins', `at most ${MAX_ORIGINS} entries`);
    patch.allowedOrigins = v.map((o, i) => bareOrigin(`allowedOrigins[${i}]`, o));
  }
  if (input.requiredContactFields !== undefined) {
    const v = input.requiredContactFields ?? [];
    const seen = new Set<ContactField>();
    v.forEach((f, i) => {
      if (seen.has(f)) bad(`requiredContactFields[${i}]`, `${f} is listed twice`);
      seen.add(f);
    });
    patch.requiredContactFields = v.length ? [...v] : [...DEFAULT_REQUIRED_CONTACT_FIELDS];
  }
  if (input.recrawlIntervalHours !== undefined) {
    const v = input.recrawlIntervalHours;
    if (v !== null && (!Number.isInteger(v) || v < 1 || v > 720)) bad('recrawlIntervalHours', 'must be a whole number of hours from 1 to 720, or null');
    patch.recrawlIntervalHours = v;
  }
  if (input.synonyms !== undefined) patch.synonyms = input.synonyms === null ? [] : synonyms(input.synonyms);
  if (input.defaultPhoneRegion !== undefined) {
    const v = input.defaultPhoneRegion === null ? null : input.defaultPhoneRegion.trim().toUpperCase();
    if (v !== null && v !== '' && !(/^[A-Z]{2}$/.test(v) && isSupportedCountry(v))) {
      bad('defaultPhoneRegion', `"${input.defaultPhoneRegion}" is not an ISO 3166-1 alpha-2 region with a phone numbering plan (e.g. "GB", "US")`);
    }
    patch.defaultPhoneRegion = v || null;
  }
  return patch;
}
