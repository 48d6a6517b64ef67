import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { ContactField } from '../business/business.profile';

/**
 * The one check of a contact detail, whoever offers it (the model's function call, the offline
 * extractor, the widget's form, an admin): a normalised value, or the problem in words a
 * visitor understands. Phone numbers get libphonenumber's full check with the "max" metadata
 * (the number must exist in its region's numbering plan, not just have a plausible length) and
 * are stored in E.164; a national number is read in the business's `defaultPhoneRegion`.
 */

export type Checked = { ok: true; value: string } | { ok: false; problem: string };

const EMAIL = /^[^\s@"<>()[\]\\,;:]{1,64}@(?=.{1,253}$)(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+[\p{L}]{2,63}$/u;
const NAME = /^[\p{L}\p{M}][\p{L}\p{M}'’ .-]*$/u;

export function checkName(raw: string): Checked {
  const value = raw.replace(/\s+/g, ' ').trim();
  if (!value) return { ok: false, problem: 'the name is empty' };
  if (value.length > 100) return { ok: false, problem: 'the name is longer than 100 characters' };
  if (!NAME.test(value)) return { ok: false, problem: 'a name may contain only letters, spaces, apostrophes, dots and hyphens' };
  return { ok: true, value };
}

export function checkEmail(raw: string): Checked {
  const value = raw.trim().toLowerCase();
  if (!value) return { ok: false, problem: 'the email address is empty' };
  if (value.length > 254) return { ok: false, problem: 'the email address is longer than 254 characters' };
  if (!EMAIL.test(value)) {
    const domain = value.split('@')[1];
    if (!value.includes('@')) return { ok: false, problem: `"${raw.trim()}" has no @, so it is not an email address` };
    if (domain !== undefined && !domain.includes('.')) return { ok: false, problem: `"${raw.trim()}" is missing the end of its domain (like .com)` };
    return { ok: false, problem: `"${raw.trim()}" is not a valid email address` };
  }
  return { ok: true, value };
}

export function checkPhone(raw: string, defaultRegion: string | null | undefined): Checked {
  const text = raw.trim().replace(/^00/, '+');
  if (!text) return { ok: false, problem: 'the phone number is empty' };
  const region = (defaultRegion || undefined) as CountryCode | undefined;
  const parsed = parsePhoneNumberFromString(text, region);
  if (!parsed) {
    if (!text.startsWith('+') && !region) return { ok: false, problem: `"${raw.trim()}" needs its country code (like +44 or +1)` };
    return { ok: false, problem: `"${raw.trim()}" is not a phone number` };
  }
  if (!parsed.isValid()) {
    if (!text.startsWith('+') && !region) return { ok: false, problem: `"${raw.trim()}" needs its country code (like +44 or +1)` };
    const where = parsed.country ?? region;
    return { ok: false, problem: `"${raw.trim()}" is not a valid phone number${where ? ` in ${where}` : ''}` };
  }
  return { ok: true, value: parsed.number };
}

export function checkContactField(field: ContactField, raw: string, defaultRegion: string | null | undefined): Checked {
  if (field === ContactField.NAME) return checkName(raw);
  if (field === ContactField.EMAIL) return checkEmail(raw);
  return checkPhone(raw, defaultRegion);
}

/** The lead property of a contact field. */
export function propertyOf(field: ContactField): 'name' | 'email' | 'phone' {
  return field === ContactField.NAME ? 'name' : field === ContactField.EMAIL ? 'email' : 'phone';
}

export const CONTACT_FIELDS: readonly ContactField[] = [ContactField.NAME, ContactField.EMAIL, ContactField.PHONE];
