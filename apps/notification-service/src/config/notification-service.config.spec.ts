import { DEMO_API_TOKENS, DEMO_ENCRYPTION_KEY, loadConfig } from '@ordercast/platform';
import { NotificationServiceConfig } from './notification-service.config';

const OWN_SECRETS = { API_TOKENS: 'alpha:alpha-token-1', ENCRYPTION_KEY: '1GzJHZyERucXR+zC7Emvgn+e6iiafDNBZJ1bmWsu9/0=' };

describe('NotificationServiceConfig: demo secrets', () => {
  it.each([
    ['API_TOKENS', { ENCRYPTION_KEY: OWN_SECRETS.ENCRYPTION_KEY }],
    ['API_TOKENS', { ...OWN_SECRETS, API_TOKENS: DEMO_API_TOKENS }],
    ['ENCRYPTION_KEY', { API_TOKENS: OWN_SECRETS.API_TOKENS }],
    ['ENCRYPTION_KEY', { ...OWN_SECRETS, ENCRYPTION_KEY: DEMO_ENCRYPTION_KEY }],
  ])('refuses to load, naming %s', (variable, env) => {
    expect(() => loadConfig(NotificationServiceConfig, env)).toThrow(new RegExp(`${variable}: .*only the embedded default`));
  });

  it('loads them for the embedded default launcher only', () => {
    expect(loadConfig(NotificationServiceConfig, {}, { embeddedDefault: true })).toMatchObject({ apiTokens: DEMO_API_TOKENS, encryptionKey: DEMO_ENCRYPTION_KEY });
    expect(loadConfig(NotificationServiceConfig, OWN_SECRETS)).toMatchObject({ encryptionKey: OWN_SECRETS.ENCRYPTION_KEY, embeddedDefault: false });
  });
});
