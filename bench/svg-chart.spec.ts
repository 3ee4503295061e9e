import { niceStep, Panel, renderChart } from './svg-chart';

const PANEL: Panel = {
  title: 'latency <p99> & p50',
  xLabel: 'seconds',
  yLabel: 'ms',
  yMax: 100,
  series: [
    { name: 'each delivery', colour: '#1f77b4', opacity: 0.27, style: 'dots', points: [[0.5, 10], [1.5, 20], [2.5, 500]] },
    { name: 'p99', colour: '#d62728', style: 'line', points: [[2, 40], [0, 20], [1, 30]] },
  ],
};

function polylinePoints(svg: string): Array<[number, number]> {
  const match = /<polyline points="([^"]+)"/.exec(svg);
  expect(match).not.toBeNull();
  return (match?.[1] ?? '').split(' ').map((pair) => pair.split(',').map(Number) as [number, number]);
}

describe('renderChart', () => {
  it('is one SVG document the size of its stacked panels', () => {
    const svg = renderChart([PANEL, PANEL], 1000, 320);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="640"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline /g)).toHaveLength(2);
  });

  it('escapes text, so a title cannot break the markup', () => {
    const svg = renderChart([PANEL]);
    expect(svg).toContain('latency &lt;p99&gt; &amp; p50');
    expect(svg).not.toContain('<p99>');
  });

  it('joins a line series in x order, higher values higher up', () => {
    const points = polylinePoints(renderChart([PANEL]));
    expect(points.map(([x]) => x)).toEqual([...points.map(([x]) => x)].sort((a, b) => a - b));
    expect(points[0][1]).toBeGreaterThan(points[1][1]);
    expect(points[1][1]).toBeGreaterThan(points[2][1]);
  });

  it('draws every sample as a dot and clips values above yMax to the top of the plot', () => {
    const svg = renderChart([PANEL], 1000, 320);
    const dots = /<path d="((?:M[^M"]+)+)" fill="#1f77b4" fill-opacity="0.27"\/>/.exec(svg);
    expect(dots).not.toBeNull();
    const ys = (dots?.[1] ?? '').split('M').filter(Boolean).map((square) => Number(square.split(/[ h]/)[1]));
    expect(ys).toHaveLength(3);
    const plotTop = 50;
    expect(ys[2]).toBe(plotTop);
  });

  it('labels the legend with every series name', () => {
    const svg = renderChart([PANEL]);
    expect(svg).toContain('>each delivery</text>');
    expect(svg).toContain('>p99</text>');
  });
});

describe('niceStep', () => {
  it('steps by 1, 2 or 5 times a power of ten', () => {
    expect(niceStep(100, 5)).toBe(20);
    expect(niceStep(7, 8)).toBe(1);
    expect(niceStep(3400, 8)).toBe(500);
    expect(niceStep(0.3, 5)).toBeCloseTo(0.1);
  });
});
