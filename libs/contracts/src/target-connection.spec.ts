import { generateKeyPairSync } from 'node:crypto';
import { brokerHost, kafkaDestinationErrors, toKafkaDestination } from './kafka-destination';
import { targetAuthErrors, toTargetAuth } from './target-auth';
import { TargetConnection, withTargetSecrets } from './target-secrets';

/** A self-signed test certificate (valid until 2126) and its key; nothing trusts it. */
const CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIIBtjCCAV2gAwIBAgIUPZE2GyXrT83qwtmEX3ZXlWX75pIwCgYIKoZIzj0EAwIw
MDEYMBYGA1UEAwwPZXJwLmV4YW1wbGUuY29tMRQwEgYDVQQKDAtFeGFtcGxlIEVS
UDAgFw0yNjEyMDExNTQ1MTBaGA8yMTI2MTEwNzE1NDUxMFowMDEYMBYGA1UEAwwP
ZXJwLmV4YW1wbGUuY29tMRQwEgYDVQQKDAtFeGFtcGxlIEVSUDBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABNnk8hKYm6F/k232nQLx1dP2ro+DPb/vdb2HlLSsQff4
45Q3nN5Z0/X3+9k7eDE31+UtcgMwQl6im230rUiolaKjUzBRMB0GA1UdDgQWBBS/
n+ZMhYkAyNBaLdESJxg0dZEFZDAfBgNVHSMEGDAWgBS/n+ZMhYkAyNBaLdESJxg0
dZEFZDAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIENFGNMau244
X4LOg9RzGQOMvSo1dYzQs1oELECmQj6DAiBngeg2na2yrZ3k8SoQC0KWtaQoslIW
Nm9Z37lqWT2zNA==
-----END CERTIFICATE-----
`;
const PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgKCXstWehhC4vhZ/J
hag8tfdpY/4v6gYREngAlDAWALihRANCAATZ5PISmJuhf5Nt9p0C8dXT9q6Pgz2/
73W9h5S0rEH3+OOUN5zeWdP19/vZO3gxN9flLXIDMEJeoptt9K1IqJWi
-----END PRIVATE KEY-----
`;
const OTHER_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

const oauth2 = { type: 'oauth2_client_credentials', tokenUrl: 'https://login.example.com/oauth2/token', clientId: 'erp', clientSecret: 's3cret' };

describe('targetAuthErrors', () => {
  it.each([
    ['OAuth2 client credentials', oauth2],
    ['OAuth2 with scope and audience', { ...oauth2, scope: 'orders.write', audience: 'https://erp.example.com' }],
    ['a client certificate with its key', { type: 'mtls', certificate: CERTIFICATE, privateKey: PRIVATE_KEY }],
    ['a client secret of 1,024 characters', { ...oauth2, clientSecret: 's'.repeat(1024) }],
  ])('accepts %s', (_, auth) => {
    expect(targetAuthErrors(auth)).toEqual([]);
  });

  it.each([
    ['no object', 'bearer', 'auth must be an object with a type'],
    ['an unknown type', { type: 'basic' }, 'auth.type must be one of oauth2_client_credentials, mtls'],
    ['a token URL that is not http(s)', { ...oauth2, tokenUrl: 'ftp://login.example.com/token' }, 'auth.tokenUrl must use http or https'],
    ['a token URL with placeholders', { ...oauth2, tokenUrl: 'https://login.example.com/{merchant}/token' }, 'auth.tokenUrl cannot have placeholders'],
    ['a missing client secret', { ...oauth2, clientSecret: undefined }, 'auth.clientSecret must be a non-empty string'],
    ['an empty scope', { ...oauth2, scope: '' }, 'auth.scope must be a non-empty string'],
    ['a client secret of 1,025 characters', { ...oauth2, clientSecret: 's'.repeat(1025) }, 'auth.clientSecret must be a non-empty string of at most 1024 characters'],
    ['a field of the other type', { ...oauth2, privateKey: PRIVATE_KEY }, 'auth.privateKey is not allowed for auth type oauth2_client_credentials'],
    ['a certificate that does not parse', { type: 'mtls', certificate: 'not a certificate', privateKey: PRIVATE_KEY }, 'auth.certificate is not a PEM X.509 certificate'],
    ['a key that does not parse', { type: 'mtls', certificate: CERTIFICATE, privateKey: 'not a key' }, 'auth.privateKey is not an unencrypted PEM private key'],
    ['the key of another certificate', { type: 'mtls', certificate: CERTIFICATE, privateKey: OTHER_KEY }, 'auth.privateKey is not the key of auth.certificate'],
    ['a certificate over the size limit', { type: 'mtls', certificate: 'x'.repeat(16 * 1024 + 1), privateKey: PRIVATE_KEY }, 'auth.certificate must be a PEM certificate of at most 16384 characters'],
  ])('refuses %s', (_, auth, message) => {
    expect(targetAuthErrors(auth).join('\n')).toContain(message);
  });
});

describe('toTargetAuth', () => {
  it('fills absent OAuth2 fields with null', () => {
    expect(toTargetAuth(oauth2)).toEqual({ ...oauth2, scope: null, audience: null });
  });

  it('describes the certificate: subject, SHA-256 fingerprint and expiry', () => {
    expect(toTargetAuth({ type: 'mtls', certificate: CERTIFICATE, privateKey: PRIVATE_KEY })).toEqual({
      type: 'mtls',
      certificate: CERTIFICATE,
      privateKey: PRIVATE_KEY,
      subject: 'CN=erp.example.com, O=Example ERP',
      fingerprint: '8C:99:DE:02:39:0A:DF:B6:C3:54:C9:E3:F4:14:2A:2E:48:22:7C:06:21:AD:E6:76:2C:5D:A0:32:C0:49:62:0E',
      validTo: '2126-11-07T15:45:10.000Z',
    });
  });
});

describe('kafkaDestinationErrors', () => {
  it.each([
    ['brokers and topic', { brokers: ['kafka-1.example.com:9093', '10.1.2.3:9092', '[2001:db8::1]:9092'], topic: 'erp.orders_v1' }],
    ['16 brokers', { brokers: Array.from({ length: 16 }, (_, i) => `k${i}.example.com:9092`), topic: 'orders' }],
    ['SASL and TLS', { brokers: ['kafka.example.com:9093'], topic: 'orders', ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' } }],
  ])('accepts %s', (_, kafka) => {
    expect(kafkaDestinationErrors(kafka)).toEqual([]);
  });

  it.each([
    ['no object', 'kafka.example.com:9092', 'kafka must be an object with brokers and topic'],
    ['no brokers', { brokers: [], topic: 'orders' }, 'kafka.brokers must be a list of 1 to 16 host:port addresses'],
    ['too many brokers', { brokers: Array.from({ length: 17 }, (_, i) => `k${i}.example.com:9092`), topic: 'orders' }, 'kafka.brokers must be a list of 1 to 16'],
    ['a broker without a port', { brokers: ['kafka.example.com'], topic: 'orders' }, '"kafka.example.com" is not a host:port address'],
    ['a port out of range', { brokers: ['kafka.example.com:70000'], topic: 'orders' }, 'is not a host:port address'],
    ['a broker URL', { brokers: ['kafka://kafka.example.com:9092'], topic: 'orders' }, 'is not a host:port address'],
    ['a topic with spaces', { brokers: ['k:9092'], topic: 'my orders' }, 'kafka.topic must be a Kafka topic name'],
    ['a topic name too long', { brokers: ['k:9092'], topic: 't'.repeat(250) }, 'kafka.topic must be a Kafka topic name'],
    ['an unknown SASL mechanism', { brokers: ['k:9092'], topic: 'o', sasl: { mechanism: 'gssapi', username: 'u', password: 'p' } }, 'kafka.sasl.mechanism must be one of plain, scram-sha-256, scram-sha-512'],
    ['a SASL password missing', { brokers: ['k:9092'], topic: 'o', sasl: { mechanism: 'plain', username: 'u' } }, 'kafka.sasl.password must be a non-empty string'],
    ['ssl that is not a boolean', { brokers: ['k:9092'], topic: 'o', ssl: 'yes' }, 'kafka.ssl must be a boolean'],
    ['an unknown field', { brokers: ['k:9092'], topic: 'o', acks: 0 }, 'kafka.acks is not allowed'],
  ])('refuses %s', (_, kafka, message) => {
    expect(kafkaDestinationErrors(kafka).join('\n')).toContain(message);
  });

  it('stores absent sasl and ssl as null and false', () => {
    expect(toKafkaDestination({ brokers: ['k:9092'], topic: 'o' })).toEqual({ brokers: ['k:9092'], topic: 'o', sasl: null, ssl: false });
  });

  it.each([['kafka.example.com:9092', 'kafka.example.com'], ['10.0.0.1:9092', '10.0.0.1'], ['[::1]:9092', '::1']])('reads the host of %s', (broker, host) => {
    expect(brokerHost(broker)).toBe(host);
  });
});

describe('withTargetSecrets', () => {
  const seal = (value: string) => `sealed(${value})`;

  it('transforms the OAuth2 client secret, the mTLS private key and the SASL password, and nothing else', () => {
    const kafka = { brokers: ['k:9092'], topic: 'o', ssl: false, sasl: { mechanism: 'plain' as const, username: 'user', password: 'pw' } };
    expect(withTargetSecrets({ auth: toTargetAuth(oauth2), kafka }, seal)).toEqual({
      auth: { ...oauth2, clientSecret: 'sealed(s3cret)', scope: null, audience: null },
      kafka: { ...kafka, sasl: { ...kafka.sasl, password: 'sealed(pw)' } },
    });
    const mtls = toTargetAuth({ type: 'mtls', certificate: CERTIFICATE, privateKey: PRIVATE_KEY });
    expect(withTargetSecrets({ auth: mtls }, seal).auth).toEqual({ ...mtls, privateKey: `sealed(${PRIVATE_KEY})` });
  });

  it('reads absent auth and kafka (snapshots made before they existed) as null', () => {
    const legacy: TargetConnection & { id: string } = { id: 'r' };
    expect(withTargetSecrets(legacy, seal)).toEqual({ id: 'r', auth: null, kafka: null });
  });
});
