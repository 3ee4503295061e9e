import { MASK } from '@ordercast/platform';
import { maskSentSecrets, sentSecrets } from './sent-secrets';

describe('sent secrets', () => {
  const secrets = sentSecrets({
    maskedHeaders: { 'X-Api-Key': MASK, Accept: 'application/json', 'webhook-id': 'msg_1' },
    sentHeaders: { 'X-Api-Key': 'k3y-value', Accept: 'application/json' },
    url: 'https://erp.example/o?token=a%2Fb+c&ref=',
    secret: 'whsec_c2VjcmV0',
  });

  it('lists the masked header values, URL credentials as written and decoded, and the signing secret, longest first', () => {
    expect(secrets).toEqual(['whsec_c2VjcmV0', 'k3y-value', 'a%2Fb+c', 'a/b c']);
  });

  it('adds an OAuth2 client secret as sent to the token endpoint: as given, form-encoded and in the Basic credentials', () => {
    const auth = { type: 'oauth2_client_credentials' as const, tokenUrl: 'https://login.example/token', clientId: 'client', clientSecret: 'c s', scope: null, audience: null };
    const withAuth = sentSecrets({ maskedHeaders: {}, sentHeaders: {}, url: 'https://erp.example/o', secret: null, auth });
    expect(withAuth).toEqual(expect.arrayContaining(['c s', 'c+s', Buffer.from('client:c+s').toString('base64')]));
    expect(withAuth).toHaveLength(3);
  });

  it('masks each of them in a stored text', () => {
    expect(maskSentSecrets('got k3y-value and a/b c; see http://h.example/x?session=abc', secrets))
      .toBe(`got ${MASK} and ${MASK}; see http://h.example/x?session=abc`);
    expect(maskSentSecrets(null, secrets)).toBeNull();
  });
});
