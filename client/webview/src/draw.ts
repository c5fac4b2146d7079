import type { GraphModelNode, GraphModelResult } from "qkit-language-server/protocol";
import type { ColourMode } from "../../src/graph-messages";
import { opColour, sqnrColour, STATE_COLOURS, worstSqnr } from "./colours";
import type { ModuleInfo, VisibleGraph, VisibleUnit } from "./hierarchy";
import { FRAME_HEADER, type Box, type Layout } from "./layout";
import { svg } from "./svg";

const NODE_HEIGHT = 30;
const MODULE_HEIGHT = 42;
const CHAR = 7.2;

export interface Scene {
  graph: GraphModelResult;
  mode: ColourMode;
  modules: Map<string, ModuleInfo>;
  visible: VisibleGraph;
}

function unitLabel(unit: VisibleUnit, scene: Scene): string {
  if (unit.kind === "module") return scene.modules.get(unit.id.slice(2))!.label;
  return scene.graph.nodes[unit.nodes[0]!]!.opType;
}

function moduleSummary(nodes: GraphModelNode[]): string {
  const float = nodes.filter((n) => n.state === "float" && n.opType !== "input" && n.opType !== "output").length;
  return `${nodes.length} ops${float ? ` · ${float} float` : ""}`;
}

/** The box a unit needs before layout: its label's width, a module's line of counts beneath. */
export function unitSize(unit: VisibleUnit, scene: Scene): { width: number; height: number } {
  const label = unitLabel(unit, scene);
  if (unit.kind === "module") {
    const summary = moduleSummary(unit.nodes.map((i) => scene.graph.nodes[i]!));
    return { width: Math.max(110, (Math.max(label.length, summary.length) + 4) * CHAR), height: MODULE_HEIGHT };
  }
  // SQNR mode writes each node's value in its box.
  return { width: Math.max(72, (label.length + 5) * CHAR) + (scene.mode === "sqnr" ? 48 : 0), height: NODE_HEIGHT };
}

function fill(nodes: GraphModelNode[], mode: ColourMode, threshold: number): string | undefined {
  if (mode === "sqnr") return sqnrColour(worstSqnr(nodes.map((n) => n.sqnr)), threshold);
  if (nodes.length > 1) return undefined;
  const node = nodes[0]!;
  return mode === "state" ? STATE_COLOURS[node.state] : opColour(node.opType);
}

function unitElement(unit: VisibleUnit, box: Box, scene: Scene): SVGGElement {
  const mode = scene.mode;
  const nodes = unit.nodes.map((i) => scene.graph.nodes[i]!);
  const label = unitLabel(unit, scene);
  const colour = fill(nodes, mode, scene.graph.sqnrThresholdDb);
  const g = svg("g", { class: `unit ${unit.kind}`, transform: `translate(${box.x},${box.y})`, tabindex: 0 });
  if (unit.kind === "module") {
    g.setAttribute("data-module", unit.id.slice(2));
    g.append(
      svg("rect", { class: "box", width: box.width, height: box.height, rx: 6, ...(colour ? { fill: colour } : {}) }),
      svg("rect", { class: "stack", x: 3, y: box.height, width: box.width - 6, height: 3 }),
      svg("text", { class: colour ? "label on-fill" : "label", x: 10, y: 17 }, label),
      svg("text", { class: colour ? "summary on-fill" : "summary", x: 10, y: 33 }, moduleSummary(nodes)),
      svg("text", { class: colour ? "toggle on-fill" : "toggle", x: box.width - 16, y: 17 }, "+"),
    );
    return g;
  }
  const node = nodes[0]!;
  g.setAttribute("data-node", node.name);
  g.setAttribute("data-state", node.state);
  g.setAttribute("data-int8", String(node.int8));
  if (node.sqnr !== undefined) g.setAttribute("data-sqnr", node.sqnr === null ? "inf" : node.sqnr.toFixed(1));
  const io = node.opType === "input" || node.opType === "output";
  g.append(svg("rect", { class: io ? "box io" : "box", width: box.width, height: box.height, rx: io ? 15 : 4, ...(colour ? { fill: colour } : {}) }));
  if (!io) {
    // The state stripe and the int8 mark stay visible whatever the fill shows.
    g.append(svg("rect", { class: "stripe", width: 6, height: box.height, rx: 2, fill: STATE_COLOURS[node.state] }));
    if (!node.int8) g.append(svg("text", { class: "fp32 on-fill", x: box.width - 5, y: box.height - 5, "text-anchor": "end" }, "fp32"));
  }
  g.append(svg("text", { class: "label on-fill", x: io ? box.width / 2 : 12, y: 19, ...(io ? { "text-anchor": "middle" } : {}) }, label));
  if (mode === "sqnr" && node.sqnr !== undefined) g.append(svg("text", { class: "sqnr-value on-fill", x: box.width - 5, y: 13, "text-anchor": "end" }, node.sqnr === null ? "∞" : `${node.sqnr.toFixed(1)} dB`));
  const tip = [node.name, node.shape, node.why, node.sqnr !== undefined ? `SQNR ${node.sqnr === null ? "∞" : `${node.sqnr.toFixed(1)} dB`}` : undefined].filter(Boolean).join("\n");
  g.append(svg("title", {}, tip));
  return g;
}

/** The whole picture: frames of expanded modules, edges, then the units on top. */
export function drawScene(scene: Scene, laid: Layout): SVGSVGElement {
  const root = svg("svg", { id: "graph", width: laid.width, height: laid.height, viewBox: `0 0 ${laid.width} ${laid.height}` });
  root.append(svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, svg("path", { class: "arrowhead", d: "M 0 0 L 10 5 L 0 10 z" }))));
  const frames = svg("g", { class: "frames" });
  for (const frame of scene.visible.frames) {
    const box = laid.boxes.get(`f:${frame.path}`);
    if (!box) continue;
    const module = scene.modules.get(frame.path)!;
    const g = svg("g", { class: "frame", "data-frame": frame.path, transform: `translate(${box.x},${box.y})` });
    g.append(
      svg("rect", { class: "frame-box", width: box.width, height: box.height, rx: 8 }),
      svg("rect", { class: "frame-header", width: box.width, height: FRAME_HEADER, rx: 8 }),
      svg("text", { class: "frame-label", x: 10, y: 16 }, `${module.label}  −`),
    );
    frames.append(g);
  }
  const edges = svg("g", { class: "edges" });
  for (const edge of scene.visible.edges) {
    const a = laid.boxes.get(edge.from);
    const b = laid.boxes.get(edge.to);
    if (!a || !b) continue;
    const x1 = a.x + a.width / 2;
    const y1 = a.y + a.height;
    const x2 = b.x + b.width / 2;
    const y2 = b.y;
    const bend = Math.max(12, Math.abs(y2 - y1) / 2);
    edges.append(svg("path", { class: "edge", d: `M ${x1} ${y1} C ${x1} ${y1 + bend}, ${x2} ${y2 - bend}, ${x2} ${y2}`, "marker-end": "url(#arrow)" }));
  }
  const units = svg("g", { class: "units" });
  for (const unit of scene.visible.units) {
    const box = laid.boxes.get(unit.id);
    if (box) units.append(unitElement(unit, box, scene));
  }
  root.append(frames, edges, units);
  return root;
}
