import { ApiPropertyOptional, type ApiPropertyOptions, type SchemaObject } from '@nestjs/swagger';
import {
  MAX_HEADER_BYTES, MAX_HEADER_VALUE, MAX_HEADERS, MAX_SCOPE_WATCHES, ORDER_STATES, PAYMENT_STATES, SCOPE_SCHEMA_LIMITS, SHIPPING_STATES,
} from '@ordercast/contracts';
import { BODY_LIMIT_BYTES, MAX_ARRAY_ITEMS, MAX_BODY_DEPTH, MAX_BODY_VALUES, MAX_OBJECT_KEYS } from '../http/configure-http-app';

/**
 * How the parts a registration (order-service) and a subscription (notification-service) share
 * are described in both OpenAPI documents, with the limits both services enforce, so a client
 * generated from either knows them before it meets a 400.
 */

/** For each service's description: what every request body is held to. */
export const REQUEST_BODY_LIMITS = `Request bodies are JSON of at most ${BODY_LIMIT_BYTES / 1024} KiB (after decompression), nested at most ${MAX_BODY_DEPTH} levels deep (objects and arrays), at most ${MAX_OBJECT_KEYS} keys in one object, ${MAX_ARRAY_ITEMS} items in one array and ${MAX_BODY_VALUES} values in all, without NUL characters, unpaired surrogates or "__proto__" keys; anything else is a 4xx naming the problem.`;

export const HEADERS_SCHEMA: SchemaObject = {
  type: 'object',
  maxProperties: MAX_HEADERS,
  additionalProperties: { type: 'string', maxLength: MAX_HEADER_VALUE },
  description: `Sent with every call; values are encrypted at rest and masked in responses. At most ${MAX_HEADERS} headers of at most ${MAX_HEADER_VALUE} characters each (Latin-1, no control characters), ${MAX_HEADER_BYTES} bytes in all (names and values); headers Ordercast sets itself (webhook-*, Content-Type, User-Agent...) cannot be registered`,
};

/** A list of states: each at most once, so no longer than its set. */
const states = (allowed: readonly string[]): SchemaObject => ({ type: 'array', minItems: 1, maxItems: allowed.length, uniqueItems: true, items: { type: 'string', enum: [...allowed] } });
const flagOrStates = (allowed: readonly string[]): SchemaObject => ({ oneOf: [{ type: 'boolean' }, states(allowed)] });

export const SCOPE_JSON_SCHEMA: SchemaObject = {
  type: 'object',
  additionalProperties: true,
  description: `JSON Schema the new value must match (with a JSON pointer scope): at most ${SCOPE_SCHEMA_LIMITS.maxBytes} bytes, ${SCOPE_SCHEMA_LIMITS.maxNesting} levels of nesting, ${SCOPE_SCHEMA_LIMITS.maxCompositionDepth} levels of anyOf/oneOf/allOf/not/if, ${SCOPE_SCHEMA_LIMITS.maxBranches} branches each; no pattern or patternProperties`,
  example: { enum: ['completed'] },
};

export const SCOPE_SCHEMA: SchemaObject = {
  description: `The Norce documentation form (an object), a list of at most ${MAX_SCOPE_WATCHES} different watches, or a JSON pointer into the order (with schema beside it); each list of states names a state at most once`,
  oneOf: [
    {
      type: 'object',
      properties: { state: states(ORDER_STATES), payment: flagOrStates(PAYMENT_STATES), shipping: flagOrStates(SHIPPING_STATES) },
      example: { state: ['completed'] },
    },
    { type: 'string', description: 'JSON pointer into the order', example: '/state/currentStatus' },
    {
      type: 'array',
      minItems: 1,
      maxItems: MAX_SCOPE_WATCHES,
      uniqueItems: true,
      items: {
        type: 'object',
        required: ['pointer'],
        properties: {
          pointer: { type: 'string', description: 'JSON pointer into the order' },
          schema: SCOPE_JSON_SCHEMA,
          states: {
            type: 'array', minItems: 1, maxItems: Math.max(PAYMENT_STATES.length, SHIPPING_STATES.length), uniqueItems: true, items: { type: 'string' },
            description: 'For /payments and /shippings: the payment or shipping states that fire, each at most once',
          },
        },
      },
    },
  ],
};

/**
 * An optional DTO property described by one of the schemas above (a subscription's `headers`,
 * `scope`, `schema`), with its own description in front of the schema's.
 */
export function ApiSchemaProperty(schema: SchemaObject, description?: string): PropertyDecorator {
  const described = description === undefined ? schema.description : `${description}. ${schema.description}`;
  return ApiPropertyOptional({ ...schema, description: described } as ApiPropertyOptions);
}
