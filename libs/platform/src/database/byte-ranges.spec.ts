import { packTexts } from './byte-ranges';

describe('packTexts', () => {
  it('gives each text its 1-based byte range in one buffer, multi-byte characters counted in bytes', () => {
    const texts = ['{"a":1}', '', '{"name":"Åsa ☃"}', 'x'];
    const { bytes, ranges } = packTexts(texts);
    expect(ranges).toEqual([[1, 7], [8, 0], [8, 19], [27, 1]]);
    ranges.forEach(([start, length], index) => expect(bytes.subarray(start - 1, start - 1 + length).toString('utf8')).toBe(texts[index]));
  });
});
