/**
 * The benchmark report's line charts as SVG: text that any browser renders and a diff can read,
 * with no chart library and no image encoder.
 */

export interface Series {
  name: string;
  /** A CSS colour; `opacity` below 1 lets dense dots show density. */
  colour: string;
  opacity?: number;
  points: Array<[number, number]>;
  /** `line` joins the points in x order; `dots` marks each one (for raw samples). */
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

const AXIS = '#3c3c3c';
const GRID = '#e1e1e1';
const FONT = 'font-family="sans-serif" font-size="12"';

/** 1, 2 or 5 times a power of ten, so tick labels stay short. */
export function niceStep(range: number, ticks: number): number {
  const raw = range / Math.max(1, ticks);
  const magnitude = 10 ** Math.floor(Math.log10(raw || 1));
  const fraction = raw / magnitude;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * magnitude;
}

function formatTick(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) >= 1000) return `${+(value / 1000).toFixed(1)}k`;
  return String(+value.toFixed(2));
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Coordinates with one decimal: finer than a pixel, and a third of the text of full precision. */
function fixed(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** One chart (axes, grid, tick labels, legend, series) in the rectangle at (`left`, `top`). */
export function panelSvg(left: number, top: number, width: number, height: number, panel: Panel): string {
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
  const toX = (x: number) => fixed(plotLeft + (x / xEnd) * plotWidth);
  const toY = (y: number) => fixed(plotTop + plotHeight - (Math.min(y, yEnd) / yEnd) * plotHeight);
  const bottom = plotTop + plotHeight;
  const out: string[] = [`<text x="${left + 10}" y="${top + 20}" ${FONT} font-weight="bold" fill="${AXIS}">${escapeXml(panel.title)}</text>`];

  for (let y = 0; y <= yEnd + yStep / 2; y += yStep) {
    out.push(`<line x1="${plotLeft}" y1="${toY(y)}" x2="${plotLeft + plotWidth}" y2="${toY(y)}" stroke="${GRID}"/>`);
    out.push(`<text x="${plotLeft - 8}" y="${toY(y)}" ${FONT} fill="${AXIS}" text-anchor="end" dominant-baseline="middle">${formatTick(y)}</text>`);
  }
  for (let x = 0; x <= xEnd + xStep / 2; x += xStep) {
    out.push(`<line x1="${toX(x)}" y1="${plotTop}" x2="${toX(x)}" y2="${bottom}" stroke="${GRID}"/>`);
    out.push(`<text x="${toX(x)}" y="${bottom + 18}" ${FONT} fill="${AXIS}" text-anchor="middle">${formatTick(x)}</text>`);
  }
  out.push(`<path d="M${plotLeft} ${plotTop}V${bottom}H${plotLeft + plotWidth}" fill="none" stroke="${AXIS}"/>`);
  out.push(`<text x="${plotLeft + plotWidth}" y="${bottom + 36}" ${FONT} fill="${AXIS}" text-anchor="end">${escapeXml(panel.xLabel)}</text>`);
  out.push(`<text x="${left + 10}" y="${plotTop - 12}" ${FONT} fill="${AXIS}">${escapeXml(panel.yLabel)}</text>`);

  for (const series of panel.series) {
    const opacity = series.opacity !== undefined ? ` fill-opacity="${series.opacity}"` : '';
    if (series.style === 'dots') {
      // One path of 2x2 squares: tens of thousands of samples stay one element.
      const squares = series.points.map(([x, y]) => `M${toX(x)} ${toY(y)}h2v2h-2z`).join('');
      out.push(`<path d="${squares}" fill="${series.colour}"${opacity}/>`);
      continue;
    }
    const sorted = [...series.points].sort((a, b) => a[0] - b[0]);
    const points = sorted.map(([x, y]) => `${toX(x)},${toY(y)}`).join(' ');
    out.push(`<polyline points="${points}" fill="none" stroke="${series.colour}" stroke-width="2" stroke-linejoin="round"/>`);
  }

  let legendX = plotLeft + plotWidth;
  for (const series of [...panel.series].reverse()) {
    legendX -= series.name.length * 7 + 30;
    out.push(`<rect x="${legendX}" y="${top + 11}" width="14" height="8" fill="${series.colour}"/>`);
    out.push(`<text x="${legendX + 18}" y="${top + 20}" ${FONT} fill="${AXIS}">${escapeXml(series.name)}</text>`);
  }
  return out.join('\n');
}

/** Stacks the panels vertically into one SVG document. */
export function renderChart(panels: Panel[], width = 1000, panelHeight = 320): string {
  const height = Math.max(1, panels.length) * panelHeight;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...panels.map((panel, index) => panelSvg(0, index * panelHeight, width, panelHeight, panel)),
    '</svg>',
    '',
  ].join('\n');
}
