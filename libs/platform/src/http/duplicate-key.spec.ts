import { duplicateKey } from './duplicate-key';

describe('duplicateKey', () => {
  it('finds a key repeated in one object, at the top or nested', () => {
    expect(duplicateKey('{"currency":"SEK","currency":"USD"}')).toBe('currency');
    expect(duplicateKey('{"notifications":[{"url":"https://a.example.com","url":"https://b.example.com"}]}')).toBe('url');
    expect(duplicateKey('{"a":{"b":1},"c":{"d":{"e":1,"e":2}}}')).toBe('e');
  });

  it('compares keys decoded: an escaped spelling is the same key', () => {
    expect(duplicateKey('{"name":"x","n\\u0061me":"y"}')).toBe('name');
    expect(duplicateKey('{"a\\"b":1,"a\\"b":2}')).toBe('a"b');
  });

  it('lets the same key appear in different objects, and strings that look like keys', () => {
    expect(duplicateKey('{"items":[{"name":"A"},{"name":"B"}],"name":"order"}')).toBeNull();
    expect(duplicateKey('{"a":"b","c":"a","note":"\\"a\\": 1, \\"a\\": 2 {"}')).toBeNull();
    expect(duplicateKey('[{"x":1},{"x":2}]')).toBeNull();
    expect(duplicateKey('{ "spaced" : 1 , "other" : "spaced" }')).toBeNull();
    expect(duplicateKey('{}')).toBeNull();
  });

  it('sees keys separated from their colon by whitespace', () => {
    expect(duplicateKey('{ "k" \n: 1,\t"k"\r\n:2 }')).toBe('k');
  });
});
