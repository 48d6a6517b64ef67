import { ContactField } from '../business/business.profile';
import type { CapturedContact } from './contact-capture';

/**
 * The offline provider's way of reading contact details from free text: deterministic and
 * conservative. It finds candidates only (an e-mail-shaped word, a phone-shaped digit run said
 * as a phone number, a name introduced as one); the leads feature validates them. A false
 * negative costs one more question; a false positive would put a wrong name on a lead, so
 * anything doubtful is left out ("I'm interested" is no name).
 */

export interface ExtractedContact {
  fields: CapturedContact;
  /** The visitor says they are correcting a detail ("actually my email is …"). */
  correction: boolean;
}

/** Words that follow "I'm" / "this is" without being a name. Compared lower-case. */
const NOT_NAMES = new Set(
  (
    'interested looking here there not just sure fine good great ok okay sorry trying wondering calling asking new back afraid ' +
    'glad happy in on at from with also still very so really currently available free busy planning hoping going thinking ready ' +
    'done curious considering actually a an the your you me my it that this what when where who how why if and or but to for of ' +
    'yes no hi hello hey well thanks thank please call contact email phone number mobile interest after about over under all both ' +
    'one two three tired sick unsure confused lost new old retired single married pregnant allergic unable able keen eager ' +
    'writing texting messaging emailing reaching enquiring inquiring booking searching browsing visiting moving travelling traveling ' +
    'the owner manager customer client patient student parent member'
  ).split(/\s+/),
);

const NAME_WORD = "[\\p{Lu}][\\p{L}'’-]{0,39}";
const ANY_CASE_NAME_WORD = "[\\p{L}][\\p{L}'’-]{0,39}";

const EMAIL_CANDIDATE = /[^\s<>()[\]{},;:"']+@[^\s<>()[\]{},;:"']+/gu;
const PHONE_CANDIDATE = /(?:\+|00)?\d[\d\s().\-/]{5,22}\d/g;
const PHONE_WORDS = /\b(phone|number|mobile|cell|tel|telephone|call|ring|text|whatsapp|reach me|contact me)\b/i;

const CORRECTION =
  /\b(actually|correction|i meant|i mean|typo|misspelt|misspelled|instead|(?:is|was) wrong|wrong (?:name|email|e-mail|address|number|phone)|(?:change|update|correct) (?:it|that|my)|sorry,? (?:it'?s|my|that)|(?:my )?(?:correct|right|real|new|updated|actual) (?:name|email|e-mail|address|phone|number|mobile))\b/i;

/** Intent to become a prospect: booking, a price or quote, being contacted. */
const INTENT =
  /\b(book|booking|appointment|appointments|schedule|reserve|reservation|consultation|sign me up|sign up|price|prices|pricing|cost|costs|how much|quote|estimate|call me|call back|callback|contact me|get in touch|reach me|reach out to me|talk to (?:someone|a person|a human|the team)|speak (?:to|with) (?:someone|a person|a human|the team)|interested in|i(?:'d| would) like to|i want to|hire|enquiry|inquiry)\b/i;

export function showsIntent(text: string): boolean {
  return INTENT.test(text);
}

export function isCorrection(text: string): boolean {
  return CORRECTION.test(text);
}

function trimPunctuation(s: string): string {
  return s.replace(/^[^\p{L}\p{N}+]+|[^\p{L}\p{N}]+$/gu, '');
}

function findEmail(text: string): string | null {
  for (const m of text.matchAll(EMAIL_CANDIDATE)) {
    const candidate = trimPunctuation(m[0]);
    if (candidate.includes('@')) return candidate;
  }
  return null;
}

function findPhone(text: string, askedFor: ContactField | null): string | null {
  const withoutEmails = text.replace(EMAIL_CANDIDATE, ' ');
  for (const m of withoutEmails.matchAll(PHONE_CANDIDATE)) {
    const candidate = m[0].trim();
    const digits = candidate.replace(/\D/g, '').length;
    if (digits < 7 || digits > 15) continue;
    const international = /^(\+|00)/.test(candidate);
    if (international || askedFor === ContactField.PHONE || PHONE_WORDS.test(withoutEmails)) return candidate;
  }
  return null;
}

function titleCase(word: string): string {
  return word.charAt(0).toLocaleUpperCase() + word.slice(1);
}

/**
 * Up to three name words from `rest`, stopping at the first word that is not one. `anyCase`
 * (after "my name is", or answering the question): lower-case words count, title-cased.
 */
function nameWords(rest: string, anyCase: boolean): string | null {
  const words = rest.split(/\s+/);
  const out: string[] = [];
  for (const raw of words) {
    const word = raw.replace(/[,.!?;:]+$/u, '');
    const ended = word !== raw;
    const pattern = new RegExp(`^${anyCase ? ANY_CASE_NAME_WORD : NAME_WORD}$`, 'u');
    if (!pattern.test(word) || NOT_NAMES.has(word.toLocaleLowerCase())) break;
    out.push(anyCase ? titleCase(word) : word);
    if (ended || out.length === 3) break;
  }
  return out.length ? out.join(' ') : null;
}

function findName(text: string, askedFor: ContactField | null): string | null {
  const introduced = /\b(?:my name(?:['’]s| is)|name:|call me|i(?:['’]m| am)|im|this is)\s+(.+)/iu;
  for (const m of text.matchAll(new RegExp(introduced.source, 'giu'))) {
    const lead = m[0].slice(0, m[0].length - m[1].length).toLowerCase();
    // "my name is ana" is unambiguous; after "I'm" / "this is" only a capitalised word is a name.
    const explicit = lead.startsWith('my name') || lead.startsWith('name:');
    if (!explicit && /^call me/.test(lead) && !/^[\p{Lu}]/u.test(m[1])) continue;
    const name = nameWords(m[1], explicit);
    if (name) return name;
  }
  if (askedFor === ContactField.NAME) {
    // The bot asked for the name and the visitor answered with just that ("Ana Silva"),
    // perhaps followed by other details ("Ana, ana@example.com").
    const first = text.trim().split(/[,;\n]| and /u)[0].trim();
    if (/^[\p{L}'’\s.-]{1,80}$/u.test(first) && first.split(/\s+/).length <= 3) {
      const name = nameWords(first, true);
      if (name && name.split(' ').length === first.replace(/[.!]+$/u, '').split(/\s+/).length) return name;
    }
  }
  return null;
}

/**
 * The contact details a visitor's message offers, as candidates. `askedFor` is the field the
 * bot asked for in its previous reply: a bare "Ana" answers "What's your name?", and a digit run
 * answers "What's your phone number?".
 */
export function extractContact(text: string, askedFor: ContactField | null = null): ExtractedContact {
  const fields: CapturedContact = {};
  const email = findEmail(text);
  if (email) fields.email = email;
  const phone = findPhone(text, askedFor);
  if (phone) fields.phone = phone;
  const name = findName(text.replace(EMAIL_CANDIDATE, ' '), askedFor);
  if (name) fields.name = name;
  return { fields, correction: isCorrection(text) };
}
