import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { AppError, ERROR_CODES, type ErrorCode } from '../common/errors';

/**
 * The one place where any error becomes a public GraphQL error with an API.md code.
 * Apollo's and graphql-js's own codes are folded into the contract's codes; anything we did
 * not throw on purpose is INTERNAL_SERVER_ERROR, and in production it carries no message
 * detail, path or stack (the log keeps them).
 */

const PASS_THROUGH_CODES: Record<string, ErrorCode> = {
  GRAPHQL_PARSE_FAILED: 'BAD_USER_INPUT',
  GRAPHQL_VALIDATION_FAILED: 'BAD_USER_INPUT',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  BAD_REQUEST: 'BAD_USER_INPUT',
  OPERATION_RESOLUTION_FAILURE: 'BAD_USER_INPUT',
  PERSISTED_QUERY_NOT_FOUND: 'BAD_USER_INPUT',
  PERSISTED_QUERY_NOT_SUPPORTED: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
};

function isErrorLike(value: unknown): value is Error {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}

/** Socket-level failures: the peer is down, unreachable or went away. */
const NETWORK_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * Errors raised by ioredis or the Postgres driver when a store is unreachable or slow. A bare
 * socket error names Redis or Postgres by their default ports; on other ports (a managed
 * Postgres, say) it is still SERVICE_UNAVAILABLE, as "a backing service". (LLM calls wrap
 * their own network errors, so what reaches here unwrapped is a store.)
 */
export function infrastructureService(error: unknown): 'Redis' | 'Postgres' | 'A backing service' | null {
  // Duck-typed, not `instanceof Error`: socket errors may come from another realm (Jest's
  // sandbox, a vm context) and must still be recognised.
  for (let e: unknown = error, depth = 0; isErrorLike(e) && depth < 5; e = e.cause, depth++) {
    const name = e.name;
    const msg = e.message;
    const code = (e as { code?: unknown }).code;
    if (
      name === 'MaxRetriesPerRequestError' ||
      /Stream isn't writeable|enableOfflineQueue|Connection is closed|Command timed out|ECONNREFUSED.*6379|Redis/i.test(msg)
    ) {
      return 'Redis';
    }
    if (
      name === 'ConnectionException' ||
      name === 'KnexTimeoutError' ||
      (typeof code === 'string' && /^(57P0[1-3]|08\d{3}|53300)$/.test(code)) ||
      /Knex: Timeout acquiring a connection|Connection terminated|ECONNREFUSED.*5432/i.test(msg)
    ) {
      return 'Postgres';
    }
    if (typeof code === 'string' && NETWORK_ERRNO.has(code)) {
      const port = (e as { port?: unknown }).port;
      return port === 6379 ? 'Redis' : port === 5432 ? 'Postgres' : 'A backing service';
    }
  }
  return null;
}

export interface ClassifiedError {
  code: ErrorCode;
  /** The message a client may see. */
  message: string;
  extensions: Record<string, unknown>;
  /** True when the error was not thrown on purpose and must be logged with its detail. */
  unexpected: boolean;
}

function originalOf(error: unknown): unknown {
  let e = error;
  while (e instanceof GraphQLError && e.originalError && e.originalError !== e) e = e.originalError;
  return e;
}

export function classifyError(error: unknown, isProduction: boolean): ClassifiedError {
  const original = originalOf(error);
  if (original instanceof AppError) {
    return { code: original.code, message: original.message, extensions: { ...original.extensions }, unexpected: false };
  }
  const service = infrastructureService(original);
  if (service) {
    return { code: 'SERVICE_UNAVAILABLE', message: `${service} is unavailable; try again shortly`, extensions: {}, unexpected: false };
  }
  // type-graphql's default auth denials, should one slip past our authChecker.
  if (original instanceof Error && original.name === 'UnauthorizedError') {
    return { code: 'UNAUTHENTICATED', message: 'A valid API key is required', extensions: {}, unexpected: false };
  }
  if (original instanceof Error && original.name === 'ForbiddenError') {
    return { code: 'FORBIDDEN', message: 'This API key may not access that resource', extensions: {}, unexpected: false };
  }
  if (original instanceof Error && original.name === 'ArgumentValidationError') {
    return { code: 'BAD_USER_INPUT', message: original.message, extensions: {}, unexpected: false };
  }
  if (error instanceof GraphQLError) {
    const raw = error.extensions?.code;
    if (typeof raw === 'string') {
      const mapped = PASS_THROUGH_CODES[raw] ?? ((ERROR_CODES as readonly string[]).includes(raw) ? (raw as ErrorCode) : undefined);
      if (mapped) return { code: mapped, message: error.message, extensions: {}, unexpected: false };
    }
    // Errors graphql-js raises without an original error (variable coercion, validation
    // rules of graphql-armor) are about the document: the caller's input.
    if (!error.originalError) return { code: 'BAD_USER_INPUT', message: error.message, extensions: {}, unexpected: false };
  }
  const message = original instanceof Error ? original.message : 'Internal server error';
  return {
    code: 'INTERNAL_SERVER_ERROR',
    message: isProduction ? 'Internal server error' : message,
    extensions: {},
    unexpected: true,
  };
}

/** Apollo's `formatError` and the WebSocket path both go through here. */
export function toPublicError(formatted: GraphQLFormattedError, error: unknown, isProduction: boolean): GraphQLFormattedError {
  const c = classifyError(error, isProduction);
  const extensions: Record<string, unknown> = { ...c.extensions, code: c.code };
  if (!isProduction && formatted.extensions?.stacktrace) extensions.stacktrace = formatted.extensions.stacktrace;
  const out: GraphQLFormattedError = { message: c.message, extensions };
  if (!(isProduction && c.unexpected)) {
    if (formatted.locations) Object.assign(out, { locations: formatted.locations });
    if (formatted.path) Object.assign(out, { path: formatted.path });
  }
  return out;
}
