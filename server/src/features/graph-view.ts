import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { AnnotationInfo } from "../check/worker-protocol.js";
import type { GraphLink, GraphViewResult } from "../protocol.js";
import type { LoadedReport } from "../calibration/calibration-store.js";
import { netronFormula } from "./qparam-hover.js";

const NODE_LINE = /^(\s*)%(\S+?): /;

function qparamLines(report: LoadedReport, node: string): string[] {
  const lines: string[] = [];
  for (const g of report.byNode.get(node) ?? []) {
    const where = g.slots.filter((s) => s.node === node).map((s) => s.description.replace(/ → %.*$/, "").replace(/^edge %/, "from ").replace(/^output of %.*/, "output"));
    const q = g.scale.length === 0 ? "no data" : g.scale.length === 1 && g.axis === undefined ? netronFormula(g.scale[0]!, g.zeroPoint[0]!) : `per-channel axis ${g.axis}: ${g.scale.length} scales ${Math.min(...g.scale).toExponential(2)}…${Math.max(...g.scale).toExponential(2)}`;
    lines.push(`    #= ${where.join(", ")}: ${g.spec.dtype} ${q} (${g.observer})`);
  }
  const sqnr = report.sqnr.get(node);
  if (sqnr && sqnr.sqnr !== null) lines.push(`    #= SQNR ${sqnr.sqnr.toFixed(1)} dB`);
  return lines;
}

/**
 * The graph text of the last check, with each node's qparams after calibration (`#=` lines), and links from node
 * names to the line that annotated them.
 */
export function graphView(graphText: string, annotations: AnnotationInfo[], model: string, report: LoadedReport | undefined): GraphViewResult {
  const sites = new Map(annotations.filter((a) => a.site).map((a) => [a.node, a.site!]));
  const out: string[] = [];
  const links: GraphLink[] = [];
  let pendingQparams: string[] = [];
  const flush = () => {
    out.push(...pendingQparams);
    pendingQparams = [];
  };
  for (const line of graphText.split("\n")) {
    const match = NODE_LINE.exec(line);
    // The qparams go after a node's `##` annotation lines, before the next node.
    if (!/^\s+## /.test(line)) flush();
    if (match) {
      const name = match[2]!;
      const site = sites.get(name);
      const start = match[1]!.length + 1;
      if (site) links.push({ line: out.length, start, end: start + name.length, target: { uri: pathToFileURL(site.file).href, line: site.line - 1, character: site.column - 1 } });
      if (report) pendingQparams = qparamLines(report, name);
    }
    out.push(line);
  }
  flush();
  const header = report ? `# ${path.basename(model)} · calibrated on ${report.report.items} samples (${path.basename(report.file)})` : `# ${path.basename(model)} · not calibrated yet (qkit: Run calibration)`;
  return { text: [header, ...out].join("\n"), links: links.map((l) => ({ ...l, line: l.line + 1 })), model, calibrated: !!report };
}
