import type { SchemaObject } from '@nestjs/swagger';
import { DELIVERY_KINDS, HTTP_METHODS, KAFKA_SASL_MECHANISMS, MASKED_SECRET, PAYLOAD_KINDS } from '@ordercast/contracts';
import { HEADERS_SCHEMA, SCOPE_JSON_SCHEMA, SCOPE_SCHEMA } from '@ordercast/platform';
import { MAX_REGISTRATIONS_PER_ORDER } from './order-registrations';

/**
 * RegistrationDto lives in libs/contracts, which does not depend on Swagger; this is its
 * description for the OpenAPI document.
 */
export const REGISTRATION_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'A notification: the Norce documentation form (url, scope object) or the Norce API form (invoke, scope JSON pointer with schema).',
  required: ['scope'],
  properties: {
    reference: { type: 'string', maxLength: 200, example: 'erp-export' },
    description: { type: 'string', maxLength: 2000 },
    adapterId: { type: 'string', maxLength: 200 },
    url: { type: 'string', format: 'uri', example: 'https://erp.example.com/api/orders/{order.id}/import' },
    invoke: { type: 'string', format: 'uri', description: 'API-form name of url' },
    method: { type: 'string', enum: [...HTTP_METHODS], default: 'POST' },
    headers: HEADERS_SCHEMA,
    scope: SCOPE_SCHEMA,
    schema: SCOPE_JSON_SCHEMA,
    payload: { type: 'string', enum: [...PAYLOAD_KINDS], default: 'full' },
    delivery: { type: 'string', enum: [...DELIVERY_KINDS], default: 'webhook' },
    email: { type: 'string', format: 'email' },
    secret: {
      type: 'string',
      description: `Standard Webhooks signing secret, shown as ${MASKED_SECRET} afterwards. A channel notification put back with ${MASKED_SECRET} keeps its stored secret, also when its target moves to another origin (receivers only ever get signatures); where none is stored it is a 400`,
      example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    },
    auth: {
      description: 'How the webhook target is authenticated; the client secret and private key are encrypted at rest and masked in responses',
      oneOf: [
        {
          type: 'object',
          required: ['type', 'tokenUrl', 'clientId', 'clientSecret'],
          properties: {
            type: { type: 'string', enum: ['oauth2_client_credentials'] },
            tokenUrl: { type: 'string', format: 'uri' },
            clientId: { type: 'string' },
            clientSecret: { type: 'string' },
            scope: { type: 'string' },
            audience: { type: 'string' },
          },
        },
        {
          type: 'object',
          required: ['type', 'certificate', 'privateKey'],
          properties: {
            type: { type: 'string', enum: ['mtls'] },
            certificate: { type: 'string', description: 'PEM client certificate' },
            privateKey: { type: 'string', description: 'PEM private key of the certificate (unencrypted)' },
          },
        },
      ],
    },
    kafka: {
      type: 'object',
      description: 'The topic of a kafka delivery: the webhook body, key = order id, headers = the webhook headers',
      required: ['brokers', 'topic'],
      properties: {
        brokers: { type: 'array', items: { type: 'string', example: 'kafka.example.com:9093' }, maxItems: 16 },
        topic: { type: 'string' },
        sasl: {
          type: 'object',
          required: ['mechanism', 'username', 'password'],
          properties: { mechanism: { type: 'string', enum: [...KAFKA_SASL_MECHANISMS] }, username: { type: 'string' }, password: { type: 'string' } },
        },
        ssl: { type: 'boolean', default: false },
      },
    },
    ordered: { type: 'boolean', default: false, description: "One order's deliveries to this target go one at a time, in change order; a dead one releases the next" },
  },
};

export const REGISTRATION_LIST_SCHEMA: SchemaObject = {
  type: 'array',
  items: REGISTRATION_SCHEMA,
  maxItems: MAX_REGISTRATIONS_PER_ORDER,
  description: `At most ${MAX_REGISTRATIONS_PER_ORDER}; an order carries at most ${MAX_REGISTRATIONS_PER_ORDER} notifications in all (its channel's and its own)`,
};
