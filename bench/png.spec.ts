import { inflateSync } from 'node:zlib';
import { crc32, encodePng, niceStep, Raster, renderChart } from './png';

interface Chunk {
  type: string;
  data: Buffer;
  crc: number;
}

/** Reads a PNG the way a decoder would: signature, then length/type/data/CRC chunks. */
function readChunks(png: Buffer): Chunk[] {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks: Chunk[] = [];
  let offset = 8;
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    const crc = png.readUInt32BE(offset + 8 + length);
    chunks.push({ type, data, crc });
    offset += 12 + length;
  }
  expect(offset).toBe(png.length);
  return chunks;
}

function decode(png: Buffer): { width: number; height: number; pixels: Buffer; chunks: Chunk[] } {
  const chunks = readChunks(png);
  const ihdr = chunks[0];
  expect(ihdr.type).toBe('IHDR');
  const width = ihdr.data.readUInt32BE(0);
  const height = ihdr.data.readUInt32BE(4);
  const raw = inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
  const stride = width * 4;
  expect(raw.length).toBe((stride + 1) * height);
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (stride + 1)]).toBe(0);
    raw.copy(pixels, y * stride, y * (stride + 1) + 1, (y + 1) * (stride + 1));
  }
  return { width, height, pixels, chunks };
}

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('continues a running CRC', () => {
    const whole = crc32(Buffer.from('IHDRdata'));
    expect(crc32(Buffer.from('data'), crc32(Buffer.from('IHDR')))).toBe(whole);
  });
});

describe('encodePng', () => {
  it('writes IHDR with the dimensions, 8-bit RGBA, and a valid CRC on every chunk', () => {
    const png = encodePng(3, 2, new Uint8Array(3 * 2 * 4));
    const { width, height, chunks } = decode(png);
    expect([width, height]).toEqual([3, 2]);
    expect([...chunks[0].data.subarray(8)]).toEqual([8, 6, 0, 0, 0]);
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    for (const c of chunks) expect(c.crc).toBe(crc32(c.data, crc32(Buffer.from(c.type, 'ascii'))));
  });

  it('round-trips the pixels', () => {
    const rgba = new Uint8Array(5 * 4 * 4).map((_, i) => (i * 37) % 256);
    const { pixels } = decode(encodePng(5, 4, rgba));
    expect([...pixels]).toEqual([...rgba]);
  });

  it('rejects a buffer of the wrong size and empty images', () => {
    expect(() => encodePng(2, 2, new Uint8Array(15))).toThrow(RangeError);
    expect(() => encodePng(0, 2, new Uint8Array(0))).toThrow(RangeError);
  });
});

describe('Raster', () => {
  it('draws a line between its end points and nowhere else on its row', () => {
    const raster = new Raster(10, 10, [255, 255, 255, 255]);
    raster.line(1, 5, 8, 5, [255, 0, 0, 255]);
    const { pixels } = decode(raster.toPng());
    const red = (x: number, y: number) => pixels[(y * 10 + x) * 4] === 255 && pixels[(y * 10 + x) * 4 + 1] === 0;
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((x) => red(x, 5))).toEqual([false, true, true, true, true, true, true, true, true, false]);
    expect(red(4, 4)).toBe(false);
  });

  it('blends translucent colours over the background', () => {
    const raster = new Raster(1, 1, [255, 255, 255, 255]);
    raster.plot(0, 0, [0, 0, 0, 128]);
    expect(raster.data[0]).toBe(127);
    expect(raster.data[3]).toBe(255);
  });
});

describe('renderChart', () => {
  it('renders stacked panels into one image of the requested size', () => {
    const png = renderChart(
      [
        { title: 'latency', xLabel: 's', yLabel: 'ms', series: [{ name: 'p99', colour: [200, 0, 0, 255], style: 'line', points: [[0, 1], [1, 5], [2, 3]] }] },
        { title: 'rate', xLabel: 's', yLabel: '/s', series: [{ name: 'raw', colour: [0, 0, 200, 120], style: 'dots', points: [[0, 100], [3, 2500]] }] },
      ],
      400,
      200,
    );
    const { width, height, pixels } = decode(png);
    expect([width, height]).toEqual([400, 400]);
    const nonWhite = pixels.filter((_, i) => i % 4 === 0 && pixels[i] !== 255).length;
    expect(nonWhite).toBeGreaterThan(100);
  });

  it('picks tick steps of 1, 2 or 5 times a power of ten', () => {
    expect(niceStep(97, 5)).toBe(20);
    expect(niceStep(1200, 8)).toBe(200);
    expect(niceStep(0.7, 5)).toBe(0.2);
  });
});
