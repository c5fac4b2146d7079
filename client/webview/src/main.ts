/**
 * The graph panel's script (bundled by client/build.mjs, run inside the webview): folds the module hierarchy, lays
 * it out with ELK, draws it, and talks to the extension — data in, clicks out. Its state (expanded modules, colour
 * mode, selection) survives reloads through getState/setState.
 */
import type { GraphModelResult, GraphSite } from "qkit-language-server/protocol";
import type { ColourMode, FromWebview, GraphViewState, ToWebview } from "../../src/graph-messages";
import { STATE_COLOURS, STATE_LABELS } from "./colours";
import { moduleDetails, nodeDetails, type DetailActions } from "./details";
import { drawScene, unitSize, type Scene } from "./draw";
import { moduleTree, pathTo, visibleGraph } from "./hierarchy";
import { layout } from "./layout";
import { html } from "./svg";

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): GraphViewState | undefined;
  setState(state: GraphViewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const state: GraphViewState = vscode.getState() ?? { quantizer: document.body.dataset.quantizer ?? "", expanded: [], colour: "op" };
let graph: GraphModelResult | undefined;
let scene: Scene | undefined;
let indexByName = new Map<string, number>();
let highlighted = new Set<number>();
/** Renders are asynchronous (layout); only the latest one draws. */
let generation = 0;

const toolbar = html("div", { id: "toolbar" });
const colour = html("select", { id: "colour", title: "Colour nodes by" });
for (const [value, text] of [["op", "op type"], ["state", "quantization"], ["sqnr", "SQNR"]] as const) colour.append(html("option", { value }, text));
const expandAll = html("button", { id: "expand-all" }, "Expand all");
const collapseAll = html("button", { id: "collapse-all" }, "Collapse all");
const summary = html("span", { id: "summary" });
toolbar.append(html("label", {}, "Colour by ", colour), expandAll, collapseAll, summary);
const canvas = html("div", { id: "canvas" });
const details = html("aside", { id: "details" });
const legend = html("div", { id: "legend" });
document.body.append(toolbar, html("div", { id: "main" }, canvas, details), legend);
colour.value = state.colour;

const save = () => vscode.setState(state);

const actions: DetailActions = {
  reveal: (site: GraphSite) => vscode.postMessage({ kind: "reveal", uri: site.uri, line: site.line, character: site.character }),
  expand: (path) => setExpanded([...state.expanded, path]),
};

function setExpanded(paths: string[]): void {
  state.expanded = [...new Set(paths)];
  save();
  void render();
}

function showDetails(): void {
  details.replaceChildren();
  if (!graph || !scene || !state.selected) return;
  if (state.selected.startsWith("m:")) {
    const module = scene.modules.get(state.selected.slice(2));
    if (module) details.append(moduleDetails(module, graph, state.expanded.includes(module.path), actions));
    return;
  }
  const node = graph.nodes.find((n) => n.name === state.selected);
  if (node) details.append(nodeDetails(node, graph, actions));
}

function drawLegend(): void {
  legend.replaceChildren();
  if (!graph) return;
  if (state.colour === "sqnr") {
    const t = graph.sqnrThresholdDb;
    legend.append(
      graph.calibrated === undefined ? "SQNR: not calibrated yet (qkit: Run calibration)" : `local SQNR: `,
      ...(graph.calibrated === undefined ? [] : [html("span", { class: "scale" }), ` ${t - 10} dB … ${t + 20} dB (warning below ${t} dB) · worst node of a module`]),
    );
    return;
  }
  for (const [s, label] of Object.entries(STATE_LABELS)) legend.append(html("span", { class: `chip state-${s}`, title: STATE_COLOURS[s as keyof typeof STATE_COLOURS] }, label), " ");
  legend.append(" · fp32: not run on int8 kernels");
}

/** Which nodes the spec or annotation on this editor line covers. */
function nodesAtLine(uri: string, line: number): Set<number> {
  const out = new Set<number>();
  if (!graph) return out;
  const path = (u: string) => decodeURIComponent(u.replace(/^file:\/\//, ""));
  const file = path(uri);
  const on = (site: GraphSite | undefined) => !!site && line >= site.line && line <= site.endLine && path(site.uri) === file;
  graph.nodes.forEach((n, i) => {
    if (on(n.site) || n.slots.some((s) => on(s.site))) out.add(i);
  });
  return out;
}

function applyMarks(): void {
  if (!scene) return;
  const units = new Set([...highlighted].map((i) => scene!.visible.unitOf[i]));
  const selected = state.selected?.startsWith("m:") ? state.selected : scene.visible.unitOf[indexByName.get(state.selected ?? "") ?? -1];
  for (const el of canvas.querySelectorAll<SVGGElement>("g.unit")) {
    const id = el.dataset.module !== undefined ? `m:${el.dataset.module}` : String(indexByName.get(el.dataset.node!));
    el.classList.toggle("highlight", units.has(id));
    el.classList.toggle("selected", id === selected);
  }
}

async function render(): Promise<void> {
  if (!graph) return;
  const mine = ++generation;
  const modules = moduleTree(graph.nodes);
  const visible = visibleGraph(graph.nodes, modules, new Set(state.expanded));
  const next: Scene = { graph, mode: state.colour, modules, visible };
  const laid = await layout(visible, (id) => unitSize(visible.units.find((u) => u.id === id)!, next));
  if (mine !== generation) return;
  scene = next;
  const picture = drawScene(scene, laid);
  canvas.replaceChildren(picture);
  canvas.dataset.units = String(visible.units.length);
  const calibrated = graph.calibrated !== undefined ? ` · calibrated on ${graph.calibrated} samples` : " · not calibrated";
  summary.textContent = `${graph.model.split(/[\\/]/).pop()} · ${graph.nodes.length} nodes, ${visible.units.length} shown${calibrated}`;
  document.body.dataset.rendered = String(mine);
  drawLegend();
  showDetails();
  applyMarks();
}

canvas.addEventListener("click", (event) => {
  const target = event.target as Element;
  const frame = target.closest<SVGGElement>("g.frame");
  if (frame && target.closest(".frame-header, .frame-label")) {
    const path = frame.dataset.frame!;
    setExpanded(state.expanded.filter((p) => p !== path && !p.startsWith(`${path}.`)));
    return;
  }
  const unit = target.closest<SVGGElement>("g.unit");
  if (!unit || !graph) return;
  if (unit.dataset.module !== undefined) {
    state.selected = `m:${unit.dataset.module}`;
    setExpanded([...state.expanded, unit.dataset.module]);
    return;
  }
  state.selected = unit.dataset.node;
  save();
  showDetails();
  applyMarks();
  const node = graph.nodes.find((n) => n.name === unit.dataset.node);
  if (node?.site) actions.reveal(node.site);
});

colour.addEventListener("change", () => {
  state.colour = colour.value as ColourMode;
  save();
  void render();
});
expandAll.addEventListener("click", () => setExpanded(scene ? [...scene.modules.keys()] : []));
collapseAll.addEventListener("click", () => setExpanded([]));

window.addEventListener("message", (event: MessageEvent<ToWebview>) => {
  const message = event.data;
  switch (message.kind) {
    case "graph":
      graph = message.graph;
      indexByName = new Map(graph.nodes.map((n, i) => [n.name, i]));
      void render();
      break;
    case "error":
      graph = undefined;
      scene = undefined;
      canvas.replaceChildren(html("p", { class: "error" }, message.message));
      break;
    case "cursor": {
      highlighted = nodesAtLine(message.uri, message.line);
      applyMarks();
      // A single node inside a folded module: open the way to it, as Model Explorer does when it reveals a node.
      if (highlighted.size === 1 && graph && scene) {
        const node = [...highlighted][0]!;
        const missing = pathTo(node, graph.nodes, scene.modules).filter((p) => !state.expanded.includes(p));
        if (missing.length) setExpanded([...state.expanded, ...missing]);
      }
      break;
    }
  }
});

save();
vscode.postMessage({ kind: "ready", quantizer: state.quantizer });
