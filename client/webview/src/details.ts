import type { GraphModelNode, GraphModelResult, GraphSite } from "qkit-language-server/protocol";
import { STATE_COLOURS, STATE_LABELS, worstSqnr } from "./colours";
import { histogramChart } from "./histogram";
import { html } from "./svg";
import type { ModuleInfo } from "./hierarchy";

export interface DetailActions {
  reveal(site: GraphSite): void;
  expand(path: string): void;
}

function siteLink(site: GraphSite, text: string, actions: DetailActions): HTMLAnchorElement {
  const link = html("a", { href: "#", class: "site", title: "Show this line in the editor" }, text);
  link.addEventListener("click", (e) => {
    e.preventDefault();
    actions.reveal(site);
  });
  return link;
}

const fileLine = (site: GraphSite) => `${decodeURIComponent(site.uri.split("/").pop() ?? "")}:${site.line + 1}`;

function chip(node: GraphModelNode): HTMLElement {
  const state = html("span", { class: `chip state-${node.state}` }, STATE_LABELS[node.state]);
  const int8 = node.opType === "input" || node.opType === "output" ? "" : node.int8 ? " · int8 kernels" : " · fp32";
  return html("p", {}, state, int8);
}

function sqnrLine(sqnr: number | null | undefined, threshold: number): HTMLElement | undefined {
  if (sqnr === undefined) return undefined;
  const text = sqnr === null ? "SQNR ∞ (identical to float)" : `SQNR ${sqnr.toFixed(1)} dB${sqnr < threshold ? ` — below ${threshold} dB` : ""}`;
  return html("p", { class: sqnr !== null && sqnr < threshold ? "sqnr low" : "sqnr" }, text);
}

export function nodeDetails(node: GraphModelNode, graph: GraphModelResult, actions: DetailActions): HTMLElement {
  const box = html("div", { class: "details-node", "data-node": node.name });
  box.append(html("h2", {}, node.opType), html("p", { class: "name" }, node.name));
  if (node.modules.length) box.append(html("p", { class: "muted" }, `module ${node.modules.at(-1)}`));
  if (node.shape) box.append(html("p", { class: "muted" }, `shape ${node.shape}`));
  box.append(chip(node));
  if (node.why) box.append(html("p", { class: "why" }, node.why));
  if (node.site) box.append(html("p", {}, "annotated at ", siteLink(node.site, fileLine(node.site), actions)));
  const sqnr = sqnrLine(node.sqnr, graph.sqnrThresholdDb);
  if (sqnr) box.append(sqnr);
  if (node.slots.length) {
    const list = html("ul", { class: "slots" });
    for (const slot of node.slots) {
      const item = html("li", {}, `${slot.where}: `, html("span", { class: `chip state-${slot.kind === "observed" ? "annotated" : slot.kind}` }, slot.kind), ` ${[slot.dtype, slot.qscheme].filter(Boolean).join(" ")} `);
      if (slot.site) item.append(siteLink(slot.site, fileLine(slot.site), actions));
      list.append(item);
    }
    box.append(html("h3", {}, "Specs"), list);
  }
  if (node.groups.length) {
    box.append(html("h3", {}, "Calibration"));
    for (const g of node.groups.map((i) => graph.groups[i]!)) {
      const section = html("div", { class: "group" }, html("p", {}, html("b", {}, g.observer), ` · ${g.dtype} · ${g.where.slice(0, 2).join("; ")}${g.where.length > 2 ? ` … ${g.where.length - 2} more` : ""}`), html("p", { class: "qparams" }, g.qparams));
      const chart = histogramChart(g);
      if (chart) section.append(chart);
      box.append(section);
    }
  } else if (graph.calibrated === undefined && node.state !== "float") {
    box.append(html("p", { class: "muted" }, "Not calibrated yet: qkit: Run calibration gives qparams, histograms and SQNR."));
  }
  if (node.params.length) box.append(html("h3", {}, "Weights"), html("ul", { class: "params" }, ...node.params.map((p) => html("li", {}, p))));
  return box;
}

export function moduleDetails(module: ModuleInfo, graph: GraphModelResult, expanded: boolean, actions: DetailActions): HTMLElement {
  const nodes = module.nodes.map((i) => graph.nodes[i]!);
  const box = html("div", { class: "details-module", "data-module": module.path });
  box.append(html("h2", {}, module.label), html("p", { class: "name" }, module.path));
  const counts = new Map<string, number>();
  for (const n of nodes) counts.set(n.state, (counts.get(n.state) ?? 0) + 1);
  box.append(html("p", {}, `${nodes.length} nodes: `, ...[...counts].flatMap(([state, n]) => [html("span", { class: `chip state-${state}` }, `${n} ${STATE_LABELS[state as keyof typeof STATE_COLOURS]}`), " "])));
  const fp32 = nodes.filter((n) => !n.int8 && n.state !== "float").length;
  if (fp32) box.append(html("p", { class: "why" }, `${fp32} annotated nodes stay fp32 (select them for why)`));
  const sqnr = sqnrLine(worstSqnr(nodes.map((n) => n.sqnr)), graph.sqnrThresholdDb);
  if (sqnr) box.append(html("p", { class: "muted" }, "worst node:"), sqnr);
  if (!expanded) {
    const expand = html("button", {}, "Expand");
    expand.addEventListener("click", () => actions.expand(module.path));
    box.append(expand);
  }
  return box;
}
