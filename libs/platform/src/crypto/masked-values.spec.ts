import { keepMaskedValues, targetOrigin } from './masked-values';
import { MASK } from './masking';

const stored = { url: 'https://erp.example/orders?key=K1&format=json', headers: { 'X-Api-Key': 'H1', Accept: 'application/json' } };

describe('keepMaskedValues', () => {
  it('restores masked header values (any case) and URL credentials while the origin is the same', () => {
    const given = { url: `https://erp.example/v2/orders?key=${MASK}&format=xml`, headers: { 'x-api-key': MASK, Accept: 'text/plain' } };
    expect(keepMaskedValues(given, stored)).toEqual({
      target: { url: 'https://erp.example/v2/orders?key=K1&format=xml', headers: { 'x-api-key': 'H1', Accept: 'text/plain' } },
      problems: [],
    });
  });

  it.each([
    ['another host', 'https://evil.example/orders'],
    ['another scheme', 'http://erp.example/orders'],
    ['another port', 'https://erp.example:8443/orders'],
  ])('keeps nothing on %s, naming every masked value', (_case, url) => {
    const { problems } = keepMaskedValues({ url: `${url}?key=${MASK}`, headers: { 'X-Api-Key': MASK, 'X-New': 'given' } }, stored);
    expect(problems).toEqual([
      `header "X-Api-Key" is masked (${MASK}) and the target origin changed: give its value`,
      `url query parameter "key" is masked (${MASK}) and the target origin changed: give its value`,
    ]);
  });

  it('refuses masked values with nothing stored to keep', () => {
    expect(keepMaskedValues({ url: `https://erp.example/?token=${MASK}`, headers: { 'X-Key': MASK } }, null).problems).toHaveLength(2);
    expect(keepMaskedValues({ url: 'https://erp.example/', headers: { 'X-Other': MASK } }, stored).problems).toEqual([
      `header "X-Other" is masked (${MASK}) and there is no stored value of that name: give its value`,
    ]);
  });

  it('passes values that are not masked as they are', () => {
    const given = { url: 'https://other.example/?k=v', headers: { 'X-Api-Key': 'new' } };
    expect(keepMaskedValues(given, stored)).toEqual({ target: given, problems: [] });
  });

  it('compares origins of templates, which have placeholders only in the path and query', () => {
    expect(targetOrigin('https://erp.example:443/{order.id}?ref={order.reference}')).toBe('https://erp.example');
    expect(targetOrigin(null)).toBeNull();
  });
});
