/**
 * A tiny PNG writer and line-chart rasteriser for the benchmark report: no chart library, only node:zlib.
 * The chart is drawn into an RGBA buffer and written as one 8-bit RGBA image (colour type 6).
 */
import { deflateSync } from 'node:zlib';

export type Rgba = readonly [number, number, number, number];

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as PNG (and zlib, gzip) define it; `seed` continues a running CRC. */
export function crc32(bytes: Uint8Array, seed = 0): number {
  let c = (seed ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4, 8))), 0);
  return Buffer.concat([head, data, crc]);
}

/** Encodes `rgba` (width * height * 4 bytes, rows top to bottom) as a PNG file. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`PNG dimensions must be positive integers, got ${width}x${height}`);
  }
  if (rgba.length !== width * height * 4) throw new RangeError(`expected ${width * height * 4} RGBA bytes, got ${rgba.length}`);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type RGBA
  // bytes 10-12: deflate compression, adaptive filtering, no interlace (all zero)

  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    // Filter type 0 (None) on every scanline; deflate does well enough on flat chart colours.
    raw[y * (stride + 1)] = 0;
    raw.set(rgba.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** 3x5 glyphs, one digit per row, bits left to right (4, 2, 1). */
const GLYPHS: Record<string, string> = {
  '0': '75557', '1': '26227', '2': '71747', '3': '71717', '4': '55711', '5': '74717', '6': '74757', '7': '71111',
  '8': '75757', '9': '75717', A: '25755', B: '65656', C: '34443', D: '65556', E: '74647', F: '74644', G: '34553',
  H: '55755', I: '72227', J: '11152', K: '55655', L: '44447', M: '57755', N: '65555', O: '25552', P: '65644',
  Q: '25563', R: '65655', S: '34216', T: '72222', U: '55557', V: '55552', W: '55775', X: '55255', Y: '55222',
  Z: '71247', '.': '00002', '/': '11244', '%': '51245', '-': '00700', ':': '02020', '(': '24442', ')': '21112',
  ',': '00024', '=': '07070', '<': '12421', '>': '42124', '+': '02720', '_': '00007', ' ': '00000',
};

/** An RGBA drawing surface with the few primitives a line chart needs. */
export class Raster {
  readonly data: Uint8Array;

  constructor(readonly width: number, readonly height: number, background: Rgba = [255, 255, 255, 255]) {
    this.data = new Uint8Array(width * height * 4);
    this.fillRect(0, 0, width, height, background);
  }

  /** Source-over blending, so translucent dots show density. */
  plot(x: number, y: number, [r, g, b, a]: Rgba): void {
    const px = Math.round(x);
    const py = Math.round(y);
    if (px < 0 || py < 0 || px >= this.width || py >= this.height) return;
    const i = (py * this.width + px) * 4;
    const alpha = a / 255;
    this.data[i] = Math.round(r * alpha + this.data[i] * (1 - alpha));
    this.data[i + 1] = Math.round(g * alpha + this.data[i + 1] * (1 - alpha));
    this.data[i + 2] = Math.round(b * alpha + this.data[i + 2] * (1 - alpha));
    this.data[i + 3] = 255;
  }

  fillRect(x: number, y: number, w: number, h: number, colour: Rgba): void {
    for (let yy = Math.max(0, Math.round(y)); yy < Math.min(this.height, Math.round(y + h)); yy++) {
      for (let xx = Math.max(0, Math.round(x)); xx < Math.min(this.width, Math.round(x + w)); xx++) this.plot(xx, yy, colour);
    }
  }

  /** Bresenham; `thickness` stamps a square brush on every step. */
  line(x0: number, y0: number, x1: number, y1: number, colour: Rgba, thickness = 1): void {
    let x = Math.round(x0);
    let y = Math.round(y0);
    const xEnd = Math.round(x1);
    const yEnd = Math.round(y1);
    const dx = Math.abs(xEnd - x);
    const dy = -Math.abs(yEnd - y);
    const sx = x < xEnd ? 1 : -1;
    const sy = y < yEnd ? 1 : -1;
    let err = dx + dy;
    const half = Math.floor((thickness - 1) / 2);
    for (;;) {
      if (thickness <= 1) this.plot(x, y, colour);
      else this.fillRect(x - half, y - half, thickness, thickness, colour);
      if (x === xEnd && y === yEnd) return;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y += sy;
      }
    }
  }

  /** Draws `text` with the 3x5 font at `scale` pixels per dot; returns the width drawn. */
  text(x: number, y: number, text: string, colour: Rgba, scale = 2): number {
    let cx = x;
    for (const char of text.toUpperCase()) {
      const glyph = GLYPHS[char] ?? GLYPHS[' '];
      for (let row = 0; row < 5; row++) {
        const bits = Number(glyph[row]);
        for (let col = 0; col < 3; col++) {
          if (bits & (4 >> col)) this.fillRect(cx + col * scale, y + row * scale, scale, scale, colour);
        }
      }
      cx += 4 * scale;
    }
    return cx - x;
  }

  toPng(): Buffer {
    return encodePng(this.width, this.height, this.data);
  }
}

export function textWidth(text: string, scale = 2): number {
  return text.length * 4 * scale;
}

export interface Series {
  name: string;
  colour: Rgba;
  points: Array<[number, number]>;
  /** `line` joins the points in x order; `dots` plots each one (for raw samples). */
  style: 'line' | 'dots';
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Upper bound of the y axis; the largest y (rounded up) when omitted. Larger values are clipped to the top edge. */
  yMax?: number;
}

const AXIS: Rgba = [60, 60, 60, 255];
const GRID: Rgba = [225, 225, 225, 255];

/** 1, 2 or 5 times a power of ten, so tick labels stay short. */
export function niceStep(range: number, ticks: number): number {
  const raw = range / Math.max(1, ticks);
  const magnitude = 10 ** Math.floor(Math.log10(raw || 1));
  const fraction = raw / magnitude;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude;
}

function formatTick(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) >= 1000) return `${+(value / 1000).toFixed(1)}K`;
  return String(+value.toFixed(2));
}

/** Draws one chart (axes, grid, tick labels, legend, series) into the rectangle of `raster`. */
export function drawPanel(raster: Raster, left: number, top: number, width: number, height: number, panel: Panel): void {
  const plotLeft = left + 70;
  const plotTop = top + 50;
  const plotWidth = width - 90;
  const plotHeight = height - 90;
  const all = panel.series.flatMap((series) => series.points);
  const xMax = Math.max(1, ...all.map(([x]) => x));
  const yTop = panel.yMax ?? Math.max(1, ...all.map(([, y]) => y));
  const xStep = niceStep(xMax, 8);
  const yStep = niceStep(yTop, 5);
  const xEnd = Math.ceil(xMax / xStep) * xStep;
  const yEnd = Math.ceil(yTop / yStep) * yStep;
  const toX = (x: number) => plotLeft + (x / xEnd) * plotWidth;
  const toY = (y: number) => plotTop + plotHeight - (Math.min(y, yEnd) / yEnd) * plotHeight;

  raster.text(left + 10, top + 8, panel.title, AXIS, 2);
  for (let y = 0; y <= yEnd + yStep / 2; y += yStep) {
    raster.line(plotLeft, toY(y), plotLeft + plotWidth, toY(y), GRID);
    const label = formatTick(y);
    raster.text(plotLeft - 8 - textWidth(label), toY(y) - 5, label, AXIS);
  }
  for (let x = 0; x <= xEnd + xStep / 2; x += xStep) {
    raster.line(toX(x), plotTop, toX(x), plotTop + plotHeight, GRID);
    const label = formatTick(x);
    raster.text(toX(x) - textWidth(label) / 2, plotTop + plotHeight + 8, label, AXIS);
  }
  raster.line(plotLeft, plotTop, plotLeft, plotTop + plotHeight, AXIS);
  raster.line(plotLeft, plotTop + plotHeight, plotLeft + plotWidth, plotTop + plotHeight, AXIS);
  raster.text(plotLeft + plotWidth - textWidth(panel.xLabel), plotTop + plotHeight + 24, panel.xLabel, AXIS);
  raster.text(left + 10, plotTop - 20, panel.yLabel, AXIS);

  for (const series of panel.series) {
    if (series.style === 'dots') {
      for (const [x, y] of series.points) raster.fillRect(toX(x) - 1, toY(y) - 1, 2, 2, series.colour);
      continue;
    }
    const sorted = [...series.points].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) {
      raster.line(toX(sorted[i - 1][0]), toY(sorted[i - 1][1]), toX(sorted[i][0]), toY(sorted[i][1]), series.colour, 2);
    }
  }

  let legendX = plotLeft + plotWidth;
  for (const series of [...panel.series].reverse()) {
    legendX -= textWidth(series.name) + 26;
    raster.fillRect(legendX, top + 10, 14, 8, [series.colour[0], series.colour[1], series.colour[2], 255]);
    raster.text(legendX + 18, top + 8, series.name, AXIS);
  }
}

/** Stacks the panels vertically into one PNG. */
export function renderChart(panels: Panel[], width = 1000, panelHeight = 320): Buffer {
  const raster = new Raster(width, Math.max(1, panels.length) * panelHeight);
  panels.forEach((panel, index) => drawPanel(raster, 0, index * panelHeight, width, panelHeight, panel));
  return raster.toPng();
}
