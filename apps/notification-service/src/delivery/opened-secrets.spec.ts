import { SecretBox, sealUrlCredentials, SecretBoxError } from '@ordercast/platform';
import { TEST_ENCRYPTION_KEY } from '../../../../test/support/env';
import { OpenedSecrets } from './opened-secrets';

describe('OpenedSecrets', () => {
  let box: SecretBox;
  let decrypt: jest.SpyInstance;
  beforeEach(() => {
    box = new SecretBox(TEST_ENCRYPTION_KEY);
    decrypt = jest.spyOn(box, 'decrypt');
  });

  it('opens a value as the box does, and opens it only once', () => {
    const opened = new OpenedSecrets(box);
    const sealed = box.encrypt('whsec_abc', 'signing-secrets');
    expect(opened.open(sealed, 'signing-secrets')).toBe('whsec_abc');
    expect(opened.open(sealed, 'signing-secrets')).toBe('whsec_abc');
    expect(decrypt).toHaveBeenCalledTimes(1);
  });

  it('keeps the purpose a value was sealed for: it does not open as another one, even once opened', () => {
    const opened = new OpenedSecrets(box);
    const sealed = box.encrypt('k3y', 'header-values');
    expect(opened.open(sealed, 'header-values')).toBe('k3y');
    expect(() => opened.open(sealed, 'signing-secrets')).toThrow(SecretBoxError);
  });

  it('does not keep a failure: a value that does not open fails on every call', () => {
    const opened = new OpenedSecrets(box);
    const sealed = box.encrypt('k3y', 'header-values');
    const at = sealed.length - 5;
    const altered = `${sealed.slice(0, at)}${sealed[at] === 'A' ? 'B' : 'A'}${sealed.slice(at + 1)}`;
    expect(() => opened.open(altered, 'header-values')).toThrow(SecretBoxError);
    expect(() => opened.open(altered, 'header-values')).toThrow(SecretBoxError);
    expect(decrypt).toHaveBeenCalledTimes(2);
  });

  it('opens header values by name and URL credentials in place', () => {
    const opened = new OpenedSecrets(box);
    expect(opened.openValues(box.encryptValues({ 'X-API-Key': 'k3y', 'X-Other': 'v' }, 'header-values'), 'header-values')).toEqual({ 'X-API-Key': 'k3y', 'X-Other': 'v' });
    const url = sealUrlCredentials('https://erp.example.com/orders/o-1?token=t0p-s3cret', box);
    expect(opened.openUrl(url)).toBe('https://erp.example.com/orders/o-1?token=t0p-s3cret');
    expect(opened.openUrl(url)).toBe('https://erp.example.com/orders/o-1?token=t0p-s3cret');
    expect(decrypt).toHaveBeenCalledTimes(3);
  });

  it('keeps at most the given number of values, letting the oldest go', () => {
    const opened = new OpenedSecrets(box, 2);
    const [a, b, c] = ['a', 'b', 'c'].map((plain) => box.encrypt(plain, 'header-values'));
    for (const sealed of [a, b, c]) opened.open(sealed, 'header-values');
    decrypt.mockClear();
    expect(opened.open(c, 'header-values')).toBe('c');
    expect(decrypt).not.toHaveBeenCalled();
    expect(opened.open(a, 'header-values')).toBe('a');
    expect(decrypt).toHaveBeenCalledTimes(1);
  });
});
