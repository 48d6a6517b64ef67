import { MikroORM } from '@mikro-orm/core';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { BadUserInputError, RateLimitedError, ServiceUnavailableError } from '../../src/common/errors';
import { ormOptions } from '../../src/db/orm';
import { classifyError, toPublicError } from '../../src/server/format-error';
import { freePort } from '../support/process';

/**
 * The one mapping from any error to a public GraphQL error. In production nothing we did not
 * throw on purpose may show its message, path, locations or stack.
 */

/** What graphql-js + Apollo hand to formatError for an error thrown inside a resolver. */
function resolverFailure(original: Error): { formatted: GraphQLFormattedError; error: GraphQLError } {
  const error = new GraphQLError(original.message, { path: ['business', 'name'], originalError: original });
  const formatted: GraphQLFormattedError = {
    message: original.message,
    locations: [{ line: 1, column: 3 }],
    path: ['business', 'name'],
    extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: (original.stack ?? '').split('\n') },
  };
  return { formatted, error };
}

describe('unexpected errors', () => {
  const leaky = new TypeError("Cannot read properties of undefined (reading 'id') at /srv/app/dist/src/business/business.service.js:42");

  it('become INTERNAL_SERVER_ERROR with no message detail, path, locations or stack in production', () => {
    const { formatted, error } = resolverFailure(leaky);
    const out = toPublicError(formatted, error, true);
    expect(out).toEqual({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(JSON.stringify(out)).not.toMatch(/srv|business\.service|TypeError|stack/);
  });

  it('keep their message and stack outside production, for developers', () => {
    const { formatted, error } = resolverFailure(leaky);
    const out = toPublicError(formatted, error, false);
    expect(out.message).toBe(leaky.message);
    expect(out.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(out.extensions?.stacktrace).toEqual(formatted.extensions?.stacktrace);
    expect(out.path).toEqual(['business', 'name']);
  });

  it('are flagged for logging with their detail', () => {
    expect(classifyError(leaky, true)).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', unexpected: true });
  });
});

describe('errors thrown on purpose', () => {
  it('keep their code, message, extensions and path in production', () => {
    const { formatted, error } = resolverFailure(new RateLimitedError(12));
    const out = toPublicError(formatted, error, true);
    expect(out).toMatchObject({
      message: 'Too many requests; retry in 12 s',
      extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 12 },
      path: ['business', 'name'],
    });
    expect(out.extensions?.stacktrace).toBeUndefined();
  });

  it('map a BadUserInputError to BAD_USER_INPUT and are not flagged as unexpected', () => {
    expect(classifyError(new BadUserInputError('name is too long'), true)).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: 'name is too long',
      unexpected: false,
    });
  });

  it('name the store, never the cause, for a ServiceUnavailableError', () => {
    const out = classifyError(new ServiceUnavailableError('Redis', new Error('connect ECONNREFUSED 10.0.0.7:6379')), true);
    expect(out).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: 'Redis is unavailable; try again shortly' });
  });
});

describe('store failures that were not wrapped', () => {
  it('map an ioredis fail-fast error to SERVICE_UNAVAILABLE', () => {
    const err = new Error("Stream isn't writeable and enableOfflineQueue options is false");
    expect(classifyError(new GraphQLError(err.message, { originalError: err }), true)).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: 'Redis is unavailable; try again shortly',
      unexpected: false,
    });
  });

  it('map a Postgres admin shutdown (57P01) to SERVICE_UNAVAILABLE', () => {
    const err = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    expect(classifyError(err, true)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: 'Postgres is unavailable; try again shortly' });
  });
});

describe("graphql-js and Apollo's own errors", () => {
  it('fold validation failures into BAD_USER_INPUT', () => {
    const err = new GraphQLError('Cannot query field "nope" on type "Query".', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(classifyError(err, true)).toMatchObject({ code: 'BAD_USER_INPUT', unexpected: false });
  });

  it('treat document errors without an original error as the caller input', () => {
    const err = new GraphQLError('Variable "$id" of required type "ID!" was not provided.');
    expect(classifyError(err, true)).toMatchObject({ code: 'BAD_USER_INPUT', unexpected: false });
  });
});

describe('socket errors from a store on a non-default port', () => {
  it('map ECONNREFUSED from Postgres on another port (a managed database) to SERVICE_UNAVAILABLE', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:25060'), { code: 'ECONNREFUSED', port: 25060, address: '10.0.0.5' });
    expect(classifyError(err, true)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: 'A backing service is unavailable; try again shortly', unexpected: false });
  });

  it('still names Postgres for its default port', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED', port: 5432 });
    expect(classifyError(err, true)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: 'Postgres is unavailable; try again shortly' });
  });
});

describe('the real Postgres driver error', () => {
  it('for a Postgres that refuses connections maps to SERVICE_UNAVAILABLE', async () => {
    const port = await freePort();
    const orm = await MikroORM.init(
      ormOptions({ databaseUrl: `postgres://postgres@127.0.0.1:${port}/x`, dbPool: { min: 0, max: 1, idleTimeoutMillis: 1000, acquireTimeoutMillis: 2000 } }),
    );
    try {
      const error = await orm.em
        .getConnection()
        .execute('select 1')
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(error).not.toBeNull();
      expect(classifyError(error, true)).toMatchObject({ code: 'SERVICE_UNAVAILABLE', unexpected: false });
    } finally {
      await orm.close(true);
    }
  });
});
