/**
 * The error codes of the public contract (API.md). Every error a client sees carries one of
 * these in `extensions.code`; the mapping happens in one place (server/format-error.ts).
 */
export const ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Base of every error we throw on purpose. Its message is shown to clients (also in
 * production), so it must be safe to show: no secrets, no internal detail.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extensions: Record<string, unknown> = {},
    readonly logLevel: LogLevel = 'info',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** No key, or a key that is unknown, malformed or revoked. */
export class UnauthenticatedError extends AppError {
  constructor(message = 'A valid API key is required') {
    super('UNAUTHENTICATED', message);
  }
}

/** The key is valid but lacks the scope for this business or operation. */
export class ForbiddenError extends AppError {
  constructor(message = 'This API key may not access that resource') {
    super('FORBIDDEN', message);
  }
}

/** The input is invalid; the message says what to change. */
export class BadUserInputError extends AppError {
  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super('BAD_USER_INPUT', message, extensions);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} was not found`);
  }
}

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number) {
    super('RATE_LIMITED', `Too many requests; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message: string) {
    super('PAYLOAD_TOO_LARGE', message);
  }
}

/** A store or the LLM provider is down; the message names which, never how. */
export class ServiceUnavailableError extends AppError {
  constructor(service: 'Redis' | 'Postgres' | 'LLM provider' | string, cause?: unknown) {
    super('SERVICE_UNAVAILABLE', `${service} is unavailable; try again shortly`, {}, 'warn', { cause });
  }
}
