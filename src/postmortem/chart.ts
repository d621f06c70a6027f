import { PNG } from 'pngjs';
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from './font.js';

/** One line of a chart: [unix ms, value] points in time order. */
export interface ChartSeries {
  points: readonly (readonly [number, number])[];
}

/** What a chart shows: the window, its lines, and marked moments (opened, resolved). */
export interface ChartSpec {
  start: number;
  end: number;
  series: readonly ChartSeries[];
  markers: readonly { at: number; label: string; color: Rgb }[];
}

export type Rgb = readonly [number, number, number];

export const WIDTH = 900;
export const HEIGHT = 360;
const MARGIN = { left: 90, right: 20, top: 36, bottom: 50 };
const SCALE = 2; // font pixels per glyph cell
/** Line colours, in series order (the Markdown names them). */
export const SERIES_COLORS: readonly { name: string; rgb: Rgb }[] = [
  { name: 'blue', rgb: [31, 119, 180] }, { name: 'orange', rgb: [255, 127, 14] }, { name: 'green', rgb: [44, 160, 44] },
  { name: 'purple', rgb: [148, 103, 189] }, { name: 'brown', rgb: [140, 86, 75] },
];
export const MARKER_OPENED: Rgb = [214, 39, 40];
export const MARKER_RESOLVED: Rgb = [44, 160, 44];
const GRID: Rgb = [225, 225, 225];
const AXIS: Rgb = [90, 90, 90];
const TEXT: Rgb = [40, 40, 40];

/**
 * A line chart as a PNG, drawn in-process (pngjs encodes; the drawing is here): grid, y-axis values,
 * UTC times on the x axis, one line per series, dashed markers. Pure: the same spec gives the same bytes.
 */
export function renderChart(spec: ChartSpec): Buffer {
  const png = new PNG({ width: WIDTH, height: HEIGHT });
  const c = new Canvas(png);
  c.fill(0, 0, WIDTH, HEIGHT, [255, 255, 255]);
  const plot = { x0: MARGIN.left, y0: MARGIN.top, x1: WIDTH - MARGIN.right, y1: HEIGHT - MARGIN.bottom };

  const values = spec.series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const [lo, hi, step] = niceRange(values.length ? Math.min(0, ...values) : 0, values.length ? Math.max(...values) : 1);
  const span = Math.max(spec.end - spec.start, 1);
  const xOf = (t: number) => plot.x0 + ((t - spec.start) / span) * (plot.x1 - plot.x0);
  const yOf = (v: number) => plot.y1 - ((v - lo) / (hi - lo)) * (plot.y1 - plot.y0);

  for (let v = lo; v <= hi + step / 2; v += step) {
    const y = Math.round(yOf(v));
    c.line(plot.x0, y, plot.x1, y, GRID);
    const label = formatValue(v, step);
    c.text(plot.x0 - 8 - label.length * (GLYPH_WIDTH + 1) * SCALE, y - (GLYPH_HEIGHT * SCALE) / 2, label, TEXT);
  }
  for (const { at, label } of timeTicks(spec.start, spec.end)) {
    const x = Math.round(xOf(at));
    c.line(x, plot.y0, x, plot.y1, GRID);
    const half = (label.length * (GLYPH_WIDTH + 1) * SCALE) / 2;
    if (x + half <= WIDTH) c.text(x - half, plot.y1 + 10, label, TEXT);
  }
  c.text(plot.x1 - 3 * (GLYPH_WIDTH + 1) * SCALE, HEIGHT - 18, 'UTC', AXIS);
  c.line(plot.x0, plot.y0, plot.x0, plot.y1, AXIS);
  c.line(plot.x0, plot.y1, plot.x1, plot.y1, AXIS);

  for (const m of spec.markers) {
    if (m.at < spec.start || m.at > spec.end) continue;
    const x = Math.round(xOf(m.at));
    for (let y = plot.y0; y < plot.y1; y += 8) c.line(x, y, x, Math.min(y + 4, plot.y1), m.color);
    c.text(Math.min(x + 4, plot.x1 - m.label.length * (GLYPH_WIDTH + 1) * SCALE), plot.y0 - 24, m.label, m.color);
  }

  spec.series.forEach((s, i) => {
    const color = SERIES_COLORS[i % SERIES_COLORS.length]!.rgb;
    let prev: [number, number] | undefined;
    for (const [t, v] of s.points) {
      if (!Number.isFinite(v)) {
        prev = undefined; // a gap (NaN) breaks the line
        continue;
      }
      const p: [number, number] = [xOf(t), yOf(v)];
      if (prev) c.thickLine(prev[0], prev[1], p[0], p[1], color);
      else c.fill(Math.round(p[0]) - 1, Math.round(p[1]) - 1, 3, 3, color);
      prev = p;
    }
  });
  return PNG.sync.write(png);
}

/** Bounds and step for about five gridlines at round values (1, 2 or 5 × 10^k). */
export function niceRange(min: number, max: number): [lo: number, hi: number, step: number] {
  if (max <= min) max = min + (Math.abs(min) || 1);
  const raw = (max - min) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  return [Math.floor(min / step) * step, Math.ceil(max / step) * step, step];
}

const MINUTE = 60_000;
const DAY = 1_440 * MINUTE;
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1_440, 2 * 1_440, 7 * 1_440, 14 * 1_440, 28 * 1_440].map((m) => m * MINUTE);

/**
 * The x-axis ticks of a window (UTC): at most eight at a round interval (for a window over eight
 * weeks, at most eight at whole multiples of four weeks), labelled HH:MM, or MM-DD when a day or more apart.
 */
export function timeTicks(start: number, end: number): { at: number; label: string }[] {
  const span = Math.max(end - start, 1);
  const tick = TIME_STEPS.find((s) => span / s <= 8) ?? Math.ceil(span / 8 / TIME_STEPS.at(-1)!) * TIME_STEPS.at(-1)!;
  const ticks: { at: number; label: string }[] = [];
  for (let t = Math.ceil(start / tick) * tick; t <= end; t += tick) {
    const iso = new Date(t).toISOString();
    ticks.push({ at: t, label: tick >= DAY ? iso.slice(5, 10) : iso.slice(11, 16) });
  }
  return ticks;
}

/** A compact axis label: 1.5k, 2M, 0.25. */
export function formatValue(v: number, step: number): string {
  const abs = Math.abs(v);
  for (const [div, suffix] of [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const) {
    if (abs >= div) return `${trim(v / div, step / div)}${suffix}`;
  }
  return trim(v, step);
}

// As many decimals as the step needs (steps are 1, 2 or 5 × 10^k), trailing zeros dropped.
function trim(v: number, step: number): string {
  const decimals = Math.min(6, Math.max(0, -Math.floor(Math.log10(step))));
  return v.toFixed(decimals).replace(/\.0+$/, '').replace(/(\.\d*?)0+$/, '$1');
}

/** Pixel drawing on a pngjs image. */
class Canvas {
  constructor(private readonly png: PNG) {}

  set(x: number, y: number, [r, g, b]: Rgb): void {
    if (x < 0 || y < 0 || x >= this.png.width || y >= this.png.height) return;
    const i = (y * this.png.width + x) * 4;
    this.png.data[i] = r;
    this.png.data[i + 1] = g;
    this.png.data[i + 2] = b;
    this.png.data[i + 3] = 255;
  }

  fill(x: number, y: number, w: number, h: number, color: Rgb): void {
    for (let j = y; j < y + h; j++) for (let i = x; i < x + w; i++) this.set(i, j, color);
  }

  line(ax: number, ay: number, bx: number, by: number, color: Rgb): void {
    let x = Math.round(ax);
    let y = Math.round(ay);
    const tx = Math.round(bx);
    const ty = Math.round(by);
    const dx = Math.abs(tx - x);
    const dy = -Math.abs(ty - y);
    const sx = x < tx ? 1 : -1;
    const sy = y < ty ? 1 : -1;
    let err = dx + dy;
    for (;;) {
      this.set(x, y, color);
      if (x === tx && y === ty) return;
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

  thickLine(ax: number, ay: number, bx: number, by: number, color: Rgb): void {
    for (const [ox, oy] of [[0, 0], [1, 0], [0, 1]] as const) this.line(ax + ox, ay + oy, bx + ox, by + oy, color);
  }

  text(x: number, y: number, s: string, color: Rgb): void {
    [...s].forEach((ch, k) => {
      glyph(ch).forEach((row, j) => row.forEach((lit, i) => {
        if (lit) this.fill(Math.round(x) + (k * (GLYPH_WIDTH + 1) + i) * SCALE, Math.round(y) + j * SCALE, SCALE, SCALE, color);
      }));
    });
  }
}
