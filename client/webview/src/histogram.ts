import type { GraphGroup } from "qkit-language-server/protocol";
import { formatNumber, svg } from "./svg";

const WIDTH = 280;
const PLOT = 72;
const HEIGHT = 90;

/**
 * A histogram observer's bins with the clip range its qparams chose shaded between two lines: whether the range cuts
 * off a long tail or wastes levels on empty bins shows at a glance. Heights are logarithmic, since after a ReLU most
 * of the mass sits in one bin and the tail is what matters.
 */
export function histogramChart(group: GraphGroup): SVGSVGElement | undefined {
  const { histogram, min, max, clip } = group;
  if (!histogram || min === undefined || max === undefined || !clip || !(max > min)) return undefined;
  const top = Math.log1p(Math.max(...histogram));
  const x = (v: number) => ((Math.min(Math.max(v, min), max) - min) / (max - min)) * WIDTH;
  const bar = WIDTH / histogram.length;
  const chart = svg("svg", { class: "histogram", width: WIDTH, height: HEIGHT, viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": `histogram of ${group.observer} with the clip range` });
  const lo = x(clip[0]);
  const hi = x(clip[1]);
  chart.append(svg("rect", { class: "clip-range", x: lo, y: 0, width: Math.max(hi - lo, 1), height: PLOT }));
  histogram.forEach((count, i) => {
    const h = top > 0 ? (Math.log1p(count) / top) * PLOT : 0;
    chart.append(svg("rect", { class: "bin", x: (i * bar).toFixed(1), y: (PLOT - h).toFixed(1), width: Math.max(bar - 0.4, 0.4).toFixed(1), height: h.toFixed(1) }));
  });
  for (const at of [lo, hi]) chart.append(svg("line", { class: "clip-line", x1: at, y1: 0, x2: at, y2: PLOT }));
  chart.append(
    svg("text", { class: "axis", x: 1, y: HEIGHT - 3 }, formatNumber(min)),
    svg("text", { class: "axis", x: WIDTH - 1, y: HEIGHT - 3, "text-anchor": "end" }, formatNumber(max)),
    svg("text", { class: "axis clip-label", x: WIDTH / 2, y: HEIGHT - 3, "text-anchor": "middle" }, `clip [${formatNumber(clip[0])}, ${formatNumber(clip[1])}]`),
  );
  return chart;
}
