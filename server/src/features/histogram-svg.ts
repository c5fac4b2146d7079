/**
 * A histogram observer's bins as a small SVG, with the clipping range the qparams chose shaded: a person sees at a
 * glance whether the range cuts off a long tail or wastes levels on empty bins. Returned as a data: URI for a
 * markdown image (hovers render those; they cannot load files).
 */
const WIDTH = 320;
const HEIGHT = 90;
const PLOT = 72;
const BARS = 80;

function fmt(x: number): string {
  return Math.abs(x) >= 100 || (Math.abs(x) < 0.01 && x !== 0) ? x.toExponential(1) : x.toFixed(2);
}

export function histogramSvg(counts: number[], min: number, max: number, clipLo: number, clipHi: number): string | undefined {
  if (counts.length === 0 || !(max > min)) return undefined;
  // Thousands of bins do not fit 320 pixels: sum them into a few dozen bars.
  const bars = new Array<number>(Math.min(BARS, counts.length)).fill(0);
  counts.forEach((c, i) => (bars[Math.min(bars.length - 1, Math.floor((i * bars.length) / counts.length))]! += c));
  // Log heights: activations after ReLU put most mass in one bin, and the tail is what matters.
  const top = Math.log1p(Math.max(...bars));
  const x = (v: number) => ((Math.min(Math.max(v, min), max) - min) / (max - min)) * WIDTH;
  const barWidth = WIDTH / bars.length;
  const rects = bars
    .map((c, i) => {
      const h = top > 0 ? (Math.log1p(c) / top) * PLOT : 0;
      return `<rect x="${(i * barWidth).toFixed(1)}" y="${(PLOT - h).toFixed(1)}" width="${Math.max(barWidth - 0.5, 0.5).toFixed(1)}" height="${h.toFixed(1)}" fill="#4e79a7"/>`;
    })
    .join("");
  const lo = x(clipLo);
  const hi = x(clipHi);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}">` +
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>` +
    `<rect x="${lo.toFixed(1)}" y="0" width="${Math.max(hi - lo, 1).toFixed(1)}" height="${PLOT}" fill="#f28e2b" fill-opacity="0.18"/>` +
    rects +
    `<line x1="${lo.toFixed(1)}" y1="0" x2="${lo.toFixed(1)}" y2="${PLOT}" stroke="#e15759" stroke-width="1.5"/>` +
    `<line x1="${hi.toFixed(1)}" y1="0" x2="${hi.toFixed(1)}" y2="${PLOT}" stroke="#e15759" stroke-width="1.5"/>` +
    `<text x="2" y="${HEIGHT - 3}" font-family="sans-serif" font-size="10" fill="#333">${fmt(min)}</text>` +
    `<text x="${WIDTH - 2}" y="${HEIGHT - 3}" font-family="sans-serif" font-size="10" fill="#333" text-anchor="end">${fmt(max)}</text>` +
    `<text x="${WIDTH / 2}" y="${HEIGHT - 3}" font-family="sans-serif" font-size="10" fill="#e15759" text-anchor="middle">clip [${fmt(clipLo)}, ${fmt(clipHi)}]</text>` +
    `</svg>`;
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
}
