import { BadUserInputError } from '../common/errors';

export const MAX_MESSAGE_CHARS = 4000;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Checks what a visitor typed before anything else happens (no Redis write, no model call).
 * JSON cannot carry invalid UTF-8 bytes: the parser turns them into U+FFFD, so that
 * character is refused as invalid UTF-8, as are lone surrogates (`\ud800`) and control
 * characters other than tab and newlines. Returns the trimmed text.
 */
export function checkMessageText(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) throw new BadUserInputError('The message is empty', { field: 'text' });
  if ([...trimmed].length > MAX_MESSAGE_CHARS) {
    throw new BadUserInputError(`The message is longer than ${MAX_MESSAGE_CHARS} characters`, { field: 'text' });
  }
  if (LONE_SURROGATE.test(trimmed) || trimmed.includes('\uFFFD')) {
    throw new BadUserInputError('The message is not valid UTF-8 text', { field: 'text' });
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(trimmed)) {
    throw new BadUserInputError('The message contains control characters', { field: 'text' });
  }
  return trimmed;
}

/** Exactly one of text / ctaId. */
export function checkOneOf(text: string | null | undefined, ctaId: string | null | undefined): 'text' | 'cta' {
  const hasText = text !== null && text !== undefined;
  const hasCta = ctaId !== null && ctaId !== undefined && ctaId !== '';
  if (hasText === hasCta) throw new BadUserInputError('Send either `text` or `ctaId`, not both and not neither');
  return hasText ? 'text' : 'cta';
}
