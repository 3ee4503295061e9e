import { CommonConfig } from './common-config';
import { loadConfig, parseAdminTokens } from './validate-config';

describe('ADMIN_TOKENS', () => {
  it('is empty by default: no operator, so operator routes answer 401', () => {
    expect(parseAdminTokens(loadConfig(CommonConfig, { PORT: '0' }).adminTokens)).toEqual([]);
  });

  it('reads comma-separated operator tokens', () => {
    const config = loadConfig(CommonConfig, { PORT: '0', ADMIN_TOKENS: ' operator-token-0001 ,operator-token-0002' });
    expect(parseAdminTokens(config.adminTokens)).toEqual(['operator-token-0001', 'operator-token-0002']);
  });

  it.each([
    ['a token shorter than 16 characters', 'short-operator', 'ADMIN_TOKENS must be token[,token] with tokens of at least 16 characters'],
    ['an empty entry', 'operator-token-0001,,operator-token-0002', 'ADMIN_TOKENS must be token[,token]'],
    ['a colon (a merchant:token pair by mistake)', 'ops:operator-token-0001', 'ADMIN_TOKENS must be token[,token]'],
    ["a merchant's token", 'alpha-token-is-long-enough', 'ADMIN_TOKENS must not repeat a token of API_TOKENS'],
  ])('refuses %s, naming the variable', (_, value, message) => {
    expect(() => loadConfig(CommonConfig, { PORT: '0', API_TOKENS: 'alpha:alpha-token-is-long-enough', ADMIN_TOKENS: value })).toThrow(message);
  });
});
