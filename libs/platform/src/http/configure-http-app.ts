import {
  BadRequestException, HttpException, INestApplication, Logger, LoggerService, PayloadTooLargeException, UnsupportedMediaTypeException, ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { requestContext } from '../logging/request-context';
import { duplicateKey } from './duplicate-key';
import { repeatedHeader } from './header-value';
import { DatabaseUnavailableFilter } from './database-unavailable.filter';
import { installLeanAsyncResourceBind } from './lean-async-resource-bind';
import { afterRequestsInFront } from './pipelining';
import { RetryAfterFilter } from './too-many-requests';
import { NOT_A_JSON_OBJECT, VouchingValidationPipe } from './validation-fast-path';

export const BODY_LIMIT = '256kb';
/** {@link BODY_LIMIT} in bytes, of the body after decompression. */
export const BODY_LIMIT_BYTES = 256 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;
/** Far deeper than any order, registration or schema; validation and storage recurse, so a deeper body is refused first. */
export const MAX_BODY_DEPTH = 64;
/**
 * Keys of one object in a body. class-transformer deduplicates an object's keys with indexOf (quadratic):
 * 20,000 keys in one object took 150 ms of it and about 470 ms per request in all (re-attack of 2026-12-02).
 */
export const MAX_OBJECT_KEYS = 1000;
/**
 * JSON values (objects, arrays, strings, numbers, booleans, nulls) in one body. Every value costs
 * parsing, class-transformer, validation and storage on the event loop, about 10 µs each: 80,000 empty
 * objects (240 KiB, under the byte limit) took 0.65–1.6 s as an order, and eight at once held other
 * merchants' requests up for seconds. The largest order the contract allows (1,000 cart items of four
 * fields, 50 registrations) is about 10,000; keys are not counted (an object's are bounded by {@link MAX_OBJECT_KEYS}).
 */
export const MAX_BODY_VALUES = 20_000;
/**
 * Items of one array, whatever it holds: the largest any contract declares (a cart's 1,000 items). class-validator
 * validates every item of an array even after its declared bound failed, and lists each item's problems: 19,990
 * empty objects as cart items (80 KB, or 172 bytes gzipped) took 1.2-2.3 s and a 12 MB answer (attack of 2026-12-02).
 */
export const MAX_ARRAY_ITEMS = 1000;
/** Problems listed in a 400 at most: past them, one line says how many more there were. */
export const MAX_LISTED_PROBLEMS = 100;
/**
 * Names every object inherits (`__proto__`, `constructor`, `toString`, `hasOwnProperty`...). class-transformer
 * reads such a key as the object's own method: a registration header or customer field named so was
 * dropped without an error, and the whitelist never reported an unknown field named so.
 */
const BUILT_IN_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));
/** With the `u` flag a range of surrogates matches only those not part of a pair. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * What makes a parsed JSON body (or, with `what` = "query string", a parsed query) unfit for validation, or null:
 * - nesting deeper than {@link MAX_BODY_DEPTH}: validation and storage recurse, and would overflow the stack;
 * - an object with more than {@link MAX_OBJECT_KEYS} keys (arrays are bounded where they are declared);
 * - an array of more than {@link MAX_ARRAY_ITEMS} items (declared bounds, lower, are checked by validation);
 * - more than {@link MAX_BODY_VALUES} values in all (keys not counted);
 * - a `__proto__` key: JSON.parse keeps it as data, class-transformer drops it silently (so the
 *   whitelist never reports it), and code copying the body by assignment would set a prototype with it;
 * - a key naming another property every object inherits (`constructor`, `toString`...), which
 *   class-transformer drops silently too (see BUILT_IN_NAMES);
 * - a NUL character (`\u0000`) in a key or string: PostgreSQL's jsonb and text cannot store it, so
 *   the write would fail with a 500 instead of a 400;
 * - a number beyond ±(2^53 - 1): JSON.parse has rounded it already (`12345678901234567890` in an address
 *   would be stored and delivered as 12345678901234567000), so it is refused rather than changed silently;
 * - an unpaired UTF-16 surrogate (`"\ud800"`) in a key or string: JSON.parse accepts the escape, but
 *   it is no Unicode character, PostgreSQL's jsonb refuses it (500 again) and UTF-8 cannot carry it.
 * Walked without recursion.
 */
export function bodyShapeProblem(value: unknown, what = 'request body'): string | null {
  const pending: { node: unknown; depth: number }[] = [{ node: value, depth: 1 }];
  let values = 1;
  while (pending.length > 0) {
    const { node, depth } = pending.pop()!;
    if (typeof node === 'string' && node.includes('\u0000')) return `${what} must not contain NUL characters (\\u0000)`;
    if (typeof node === 'string' && LONE_SURROGATE.test(node)) return `${what} must not contain unpaired UTF-16 surrogates (such as \\ud800)`;
    if (typeof node === 'number' && Math.abs(node) > Number.MAX_SAFE_INTEGER) return `${what} has a number beyond ±${Number.MAX_SAFE_INTEGER} (2^53 - 1), which would be stored rounded; send such a value as a string`;
    if (node === null || typeof node !== 'object') continue;
    if (depth > MAX_BODY_DEPTH) return `${what} is nested deeper than ${MAX_BODY_DEPTH} levels`;
    if (Array.isArray(node)) {
      if (node.length > MAX_ARRAY_ITEMS) return `${what} has an array of ${node.length} items; at most ${MAX_ARRAY_ITEMS} in one array`;
      values += node.length;
      if (values > MAX_BODY_VALUES) return tooManyValues(what);
      for (const child of node) pending.push({ node: child, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(node);
    if (keys.length > MAX_OBJECT_KEYS) return `${what} has an object with ${keys.length} keys; at most ${MAX_OBJECT_KEYS} in one object`;
    values += keys.length;
    if (values > MAX_BODY_VALUES) return tooManyValues(what);
    for (const key of keys) {
      if (BUILT_IN_NAMES.has(key)) return `${what} must not contain a "${key}" key: every JavaScript object has a property of that name`;
      pending.push({ node: key, depth }, { node: (node as Record<string, unknown>)[key], depth: depth + 1 });
    }
  }
  return null;
}

function firstProblem(checks: readonly BodyCheck[], body: unknown): string | null {
  for (const check of checks) {
    const problem = check(body);
    if (problem !== null) return problem;
  }
  return null;
}

function tooManyValues(what: string): string {
  return `${what} has more than ${MAX_BODY_VALUES} values (objects, arrays, strings, numbers, booleans, nulls); at most ${MAX_BODY_VALUES}`;
}

/**
 * A query string that is not percent-encoded UTF-8 (`%zz`, a lone `%`, `%ff`, an encoded surrogate),
 * or null. node:querystring decodes such bytes silently (to themselves or U+FFFD), so a filter would
 * search for something else than was sent; paths with them are refused already.
 */
export function queryEncodingProblem(url: string | undefined): string | null {
  const start = url?.indexOf('?') ?? -1;
  if (start < 0 || !url!.includes('%', start)) return null;
  try {
    decodeURIComponent(url!.slice(start + 1));
    return null;
  } catch {
    return 'query string is not valid percent-encoded UTF-8';
  }
}

function flatten(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => (message.startsWith(error.property) ? `${parent ? parent + '.' : ''}${message}` : `${path}: ${message}`));
    return [...own, ...flatten(error.children ?? [], path)];
  });
}

function listed(problems: string[]): string[] {
  if (problems.length <= MAX_LISTED_PROBLEMS) return problems;
  return [...problems.slice(0, MAX_LISTED_PROBLEMS), `and ${problems.length - MAX_LISTED_PROBLEMS} more problems`];
}

/**
 * The validation every body and query goes through: whitelist, unknown fields rejected, 400 listing what is wrong.
 * Bodies a DTO's vouch accepts skip it ({@link VouchingValidationPipe}).
 */
export function createValidationPipe(): ValidationPipe {
  return new VouchingValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => new BadRequestException({ statusCode: 400, error: 'Bad Request', message: listed(flatten(errors)) }),
  });
}

/** The id of a request: the caller's `X-Request-Id` when it is a plain token of at most 100 characters, else a new UUID. */
export function requestIdOf(given: string | string[] | undefined): string {
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

function refusal(status: 400 | 415, message: string): HttpException {
  return status === 400
    ? new BadRequestException({ statusCode: 400, error: 'Bad Request', message: [message] })
    : new UnsupportedMediaTypeException({ statusCode: 415, error: 'Unsupported Media Type', message: [message] });
}

function tooLarge(): HttpException {
  return new PayloadTooLargeException(`request body exceeds ${BODY_LIMIT}`);
}

/** What inflates the body when it says it is compressed (gzip, deflate, br), as Express's JSON parser did; null for `identity`. */
function inflaterFor(request: FastifyRequest): Transform | null {
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase();
  switch (encoding) {
    case 'identity': return null;
    case 'gzip': return createGunzip();
    case 'deflate': return createInflate();
    case 'br': return createBrotliDecompress();
    default: throw refusal(415, `unsupported content encoding "${encoding}"`);
  }
}

/** JSON texts Express's strict parser took: an object or an array, after optional white space. */
const STRICT_START = /^[\x20\x09\x0a\x0d]*[{[]/;

/**
 * Reads an `application/json` body: valid UTF-8 only, at most {@link BODY_LIMIT} after inflating
 * (a compressed bomb stops at the limit), an empty body as `{}`, and only objects and arrays at
 * the top, as Express's JSON parser did. Every refusal is a Nest exception, answered as JSON.
 */
function parseJsonBody(request: FastifyRequest, payload: Readable, done: (error: Error | null, body?: unknown) => void): void {
  // Node keeps the first of two Content-Type headers: the body would be read as one type while a proxy may have judged it by the other.
  if (repeatedHeader(request.raw.rawHeaders, 'content-type')) return done(refusal(400, 'send one Content-Type header'));
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(request.headers['content-type'] ?? '')?.[1];
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8') return done(refusal(415, `unsupported charset "${charset.toUpperCase()}"`));
  const declared = Number(request.headers['content-length']);
  if (request.headers['content-encoding'] === undefined && declared > BODY_LIMIT_BYTES) return done(tooLarge());
  let inflater: Transform | null;
  try {
    inflater = inflaterFor(request);
  } catch (error) {
    return done(error as Error);
  }
  const stream = inflater ? payload.pipe(inflater) : payload;
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (error: Error | null, body?: unknown) => {
    if (finished) return;
    finished = true;
    stream.removeAllListeners('data');
    if (inflater) {
      payload.unpipe(inflater);
      inflater.destroy();
    }
    done(error, body);
  };
  stream.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > BODY_LIMIT_BYTES) finish(tooLarge());
    else chunks.push(chunk);
  });
  stream.on('error', () => finish(refusal(400, 'request body could not be read (aborted, or not what its Content-Encoding says)')));
  stream.on('end', () => {
    const bytes = Buffer.concat(chunks, size);
    // Decoding would replace each invalid sequence with U+FFFD and store something the client never sent.
    if (!isUtf8(bytes)) return finish(refusal(400, 'request body is not valid UTF-8'));
    const text = bytes.toString('utf8');
    if (text.length === 0) return finish(null, {});
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return finish(refusal(400, 'request body is not valid JSON'));
    }
    // Valid JSON, but a bare value (null, 3, "x", true) is no request: say so rather than "not valid JSON".
    if (!STRICT_START.test(text)) return finish(refusal(400, NOT_A_JSON_OBJECT));
    const repeated = duplicateKey(text);
    if (repeated !== null) return finish(refusal(400, `request body has the key "${repeated.slice(0, 100)}" twice in one object; send each key once`));
    finish(null, parsed);
  });
}

/** A service's own check of a parsed body, run with the shape check before validation: a problem, or null. */
export type BodyCheck = (body: unknown) => string | null;

/**
 * Shared HTTP set-up of both services (on {@link strictFastifyAdapter}): a request id on every
 * request, response and log line, an access log line per request (`debug`; `warn` for a 5xx),
 * nosniff, a body size limit (after decompression), malformed, too deeply nested or
 * prototype-setting JSON as a clear 400, a body in another media type (or none named) a 415, and
 * the validation pipe. The parsed query string gets the same shape
 * check as the body: filters reach PostgreSQL as parameters, and a NUL or lone surrogate there
 * fails the query with a 500. `bodyChecks` refuse what else a service knows to be too costly to
 * validate, as the shape check does. No `X-Powered-By`: the framework is nobody's business.
 */

export function configureHttpApp(app: INestApplication, logger: LoggerService = new Logger(), bodyChecks: readonly BodyCheck[] = []): void {
  installLeanAsyncResourceBind();
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', parseJsonBody);
  // A body in any other media type is refused, not ignored: read as no body, a request whose fields
  // are all optional (a manual send naming one registration) would do something else than asked.
  fastify.addContentTypeParser('*', (request, _payload, done) => {
    const type = request.headers['content-type']?.split(';')[0].trim();
    done(refusal(415, type ? `unsupported content type "${type.slice(0, 100)}"; send application/json` : 'a request body needs Content-Type: application/json'));
  });
  fastify.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    // Responses carry text from targets and merchants (response bodies, references): never let a browser sniff them as markup.
    reply.header('x-content-type-options', 'nosniff');
    done(null, payload);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    // The path without its query (which may carry references); never headers or bodies.
    const url = request.raw.url ?? '';
    const query = url.indexOf('?');
    const line = {
      msg: 'request', requestId: request.id, method: request.method, path: query === -1 ? url : url.slice(0, query), status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
    };
    if (reply.statusCode >= 500) logger.warn(line, 'HTTP');
    else logger.debug?.(line, 'HTTP');
    done();
  });
  fastify.addHook('preValidation', function check(request, reply, done) {
    // A request pipelined behind another's answer comes back here once that answer is sent (see pipelining.ts).
    if (!reply.raw.socket) return afterRequestsInFront(request, reply, () => check.call(this, request, reply, done));
    const problem = bodyShapeProblem(request.body) ?? queryEncodingProblem(request.raw.url) ?? bodyShapeProblem(request.query, 'query string')
      ?? firstProblem(bodyChecks, request.body);
    if (problem === null) return requestContext.run(request.id, done);
    void reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: [problem] });
  });
  app.useGlobalPipes(createValidationPipe());
  // Nest tries global filters last registered first: the catch-all database filter goes first, so it only gets what the others leave.
  app.useGlobalFilters(new DatabaseUnavailableFilter(app.getHttpAdapter()), new RetryAfterFilter());
}
