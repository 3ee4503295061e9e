import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { targetUrlErrors } from './target-url';

export const TARGET_AUTH_TYPES = ['oauth2_client_credentials', 'mtls'] as const;
export type TargetAuthType = (typeof TARGET_AUTH_TYPES)[number];

/**
 * OAuth2 client credentials grant (RFC 6749 section 4.4): the token is fetched from `tokenUrl`
 * with the client authenticated by HTTP Basic (the RFC's preferred method) and sent to the target
 * as `Authorization: Bearer`. `clientSecret` is sealed at rest and on the bus, masked in responses.
 */
export interface OAuth2ClientCredentials {
  type: 'oauth2_client_credentials';
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string | null;
  audience: string | null;
}

/**
 * A client certificate presented to the target in the TLS handshake. `privateKey` is sealed at
 * rest and on the bus and never shown again; subject, fingerprint and expiry are read from the
 * certificate when it is registered, so responses can say which certificate it is.
 */
export interface MutualTls {
  type: 'mtls';
  certificate: string;
  privateKey: string;
  subject: string;
  fingerprint: string;
  validTo: string;
}

export type TargetAuth = OAuth2ClientCredentials | MutualTls;

export const MAX_PEM_LENGTH = 16 * 1024;
const MAX_CLIENT_FIELD = 1024;
const OAUTH2_FIELDS = new Set(['type', 'tokenUrl', 'clientId', 'clientSecret', 'scope', 'audience']);
const MTLS_FIELDS = new Set(['type', 'certificate', 'privateKey']);

/** What is wrong with an `auth` object as a client sends it; the certificate and key must parse and belong together. */
export function targetAuthErrors(auth: unknown): string[] {
  if (typeof auth !== 'object' || auth === null || Array.isArray(auth)) return ['auth must be an object with a type'];
  const fields = auth as Record<string, unknown>;
  if (fields.type === 'oauth2_client_credentials') return oauth2Errors(fields);
  if (fields.type === 'mtls') return mtlsErrors(fields);
  return [`auth.type must be one of ${TARGET_AUTH_TYPES.join(', ')}`];
}

function oauth2Errors(fields: Record<string, unknown>): string[] {
  const errors = unknownFields(fields, OAUTH2_FIELDS);
  errors.push(...targetUrlErrors(fields.tokenUrl, 'auth.tokenUrl'));
  if (typeof fields.tokenUrl === 'string' && /\{[a-z_.]+\}/.test(fields.tokenUrl)) errors.push('auth.tokenUrl cannot have placeholders');
  for (const name of ['clientId', 'clientSecret'] as const) {
    if (!isText(fields[name], MAX_CLIENT_FIELD)) errors.push(`auth.${name} must be a non-empty string of at most ${MAX_CLIENT_FIELD} characters`);
  }
  for (const name of ['scope', 'audience'] as const) {
    if (fields[name] !== undefined && !isText(fields[name], MAX_CLIENT_FIELD)) errors.push(`auth.${name} must be a non-empty string of at most ${MAX_CLIENT_FIELD} characters`);
  }
  return errors;
}

function mtlsErrors(fields: Record<string, unknown>): string[] {
  const errors = unknownFields(fields, MTLS_FIELDS);
  const certificate = parseCertificate(fields.certificate);
  const key = parsePrivateKey(fields.privateKey);
  if (typeof certificate === 'string') errors.push(certificate);
  if (typeof key === 'string') errors.push(key);
  if (typeof certificate !== 'string' && typeof key !== 'string' && !certificate.checkPrivateKey(key)) {
    errors.push('auth.privateKey is not the key of auth.certificate');
  }
  return errors;
}

/** The stored form of a validated `auth` object: absent optional fields as null, the certificate described. */
export function toTargetAuth(auth: Record<string, unknown>): TargetAuth {
  if (auth.type === 'mtls') {
    const certificate = new X509Certificate(auth.certificate as string);
    return {
      type: 'mtls',
      certificate: auth.certificate as string,
      privateKey: auth.privateKey as string,
      subject: certificate.subject.replace(/\n/g, ', '),
      fingerprint: certificate.fingerprint256,
      validTo: new Date(certificate.validTo).toISOString(),
    };
  }
  return {
    type: 'oauth2_client_credentials',
    tokenUrl: auth.tokenUrl as string,
    clientId: auth.clientId as string,
    clientSecret: auth.clientSecret as string,
    scope: (auth.scope as string | undefined) ?? null,
    audience: (auth.audience as string | undefined) ?? null,
  };
}

function parseCertificate(pem: unknown): X509Certificate | string {
  if (!isText(pem, MAX_PEM_LENGTH)) return `auth.certificate must be a PEM certificate of at most ${MAX_PEM_LENGTH} characters`;
  try {
    return new X509Certificate(pem);
  } catch {
    return 'auth.certificate is not a PEM X.509 certificate';
  }
}

function parsePrivateKey(pem: unknown): KeyObject | string {
  if (!isText(pem, MAX_PEM_LENGTH)) return `auth.privateKey must be a PEM private key of at most ${MAX_PEM_LENGTH} characters`;
  try {
    return createPrivateKey(pem);
  } catch {
    return 'auth.privateKey is not an unencrypted PEM private key';
  }
}

function unknownFields(fields: Record<string, unknown>, allowed: ReadonlySet<string>): string[] {
  return Object.keys(fields).filter((name) => !allowed.has(name)).map((name) => `auth.${name.slice(0, 64)} is not allowed for auth type ${String(fields.type)}`);
}

function isText(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}
