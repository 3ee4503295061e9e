import { CommonConfig } from './common-config';
import { loadConfig, parseAdminTokens } from './validate-config';

/** Secrets of a deployment's own; the demo ones are refused outside the embedded default. */
const OWN_SECRETS = { PORT: '0', API_TOKENS: 'alpha:alpha-token-1', ENCRYPTION_KEY: '1GzJHZyERucXR+zC7Emvgn+e6iiafDNBZJ1bmWsu9/0=' };

describe('ADMIN_TOKENS', () => {
  it('is empty by default: no operator, so operator routes answer 401', () => {
    expect(parseAdminTokens(loadConfig(CommonConfig, OWN_SECRETS).adminTokens)).toEqual([]);
  });

  it('reads comma-separated operator tokens', () => {
    const config = loadConfig(CommonConfig, { ...OWN_SECRETS, ADMIN_TOKENS: ' operator-token-0001 ,operator-token-0002' });
    expect(parseAdminTokens(config.adminTokens)).toEqual(['operator-token-0001', 'operator-token-0002']);
  });

  it.each([
    ['a token shorter than 16 characters', 'short-operator', 'ADMIN_TOKENS must be token[,token] with tokens of at least 16 characters'],
    ['an empty entry', 'operator-token-0001,,operator-token-0002', 'ADMIN_TOKENS must be token[,token]'],
    ['a colon (a merchant:token pair by mistake)', 'ops:operator-token-0001', 'ADMIN_TOKENS must be token[,token]'],
    ["a merchant's token", 'alpha-token-is-long-enough', 'ADMIN_TOKENS must not repeat a token of API_TOKENS'],
  ])('refuses %s, naming the variable', (_, value, message) => {
    expect(() => loadConfig(CommonConfig, { ...OWN_SECRETS, API_TOKENS: 'alpha:alpha-token-is-long-enough', ADMIN_TOKENS: value })).toThrow(message);
  });
});
