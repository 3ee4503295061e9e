import type { SchemaObject } from '@nestjs/swagger';
import { DELIVERY_KINDS, HTTP_METHODS, KAFKA_SASL_MECHANISMS, ORDER_STATES, PAYLOAD_KINDS, PAYMENT_STATES, SHIPPING_STATES } from '@ordercast/contracts';

const flagOrStates = (states: readonly string[]): SchemaObject => ({
  oneOf: [{ type: 'boolean' }, { type: 'array', items: { type: 'string', enum: [...states] } }],
});

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
    headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'Sent with every call; values are encrypted at rest and masked in responses' },
    scope: {
      oneOf: [
        {
          type: 'object',
          properties: {
            state: { type: 'array', items: { type: 'string', enum: [...ORDER_STATES] } },
            payment: flagOrStates(PAYMENT_STATES),
            shipping: flagOrStates(SHIPPING_STATES),
          },
        },
        { type: 'string', description: 'JSON pointer into the order', example: '/state/currentStatus' },
        {
          type: 'array',
          items: {
            type: 'object',
            required: ['pointer'],
            properties: { pointer: { type: 'string' }, schema: { type: 'object' }, states: { type: 'array', items: { type: 'string' } } },
          },
        },
      ],
    },
    schema: { type: 'object', description: 'JSON Schema the new value must match (with a JSON pointer scope)', example: { enum: ['completed'] } },
    payload: { type: 'string', enum: [...PAYLOAD_KINDS], default: 'full' },
    delivery: { type: 'string', enum: [...DELIVERY_KINDS], default: 'webhook' },
    email: { type: 'string', format: 'email' },
    secret: { type: 'string', description: 'Standard Webhooks signing secret', example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
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
  },
};

export const REGISTRATION_LIST_SCHEMA: SchemaObject = { type: 'array', items: REGISTRATION_SCHEMA, maxItems: 50 };
