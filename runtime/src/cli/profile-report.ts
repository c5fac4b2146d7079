import type { ProfileRow, ProfileSummary } from "../engine/profile.js";
import { table } from "./format.js";

const ms = (us: number) => (us / 1000).toFixed(us >= 100_000 ? 1 : 3);
const pct = (p: number) => `${p.toFixed(1)}%`;

/** The per-operator-type and per-node tables `qkit run --profile` prints (the `top` slowest nodes). */
export function formatProfile(summary: ProfileSummary, top: number): string {
  const header = `profile: ${summary.runs} run${summary.runs === 1 ? "" : "s"}, median ${ms(summary.medianRunUs)} ms per run; ` +
    `the nodes take ${ms(summary.nodeUsPerRun)} ms per run on average (the times below)`;
  const types = [["op type", "nodes", "ms/run", "share"], ...summary.byOpType.map((r: ProfileRow) => [r.name, String(r.nodes), ms(r.usPerRun), pct(r.percent)])];
  const shown = summary.byNode.slice(0, top);
  const nodes = [["node", "op type", "output shape", "ms/run", "share"],
    ...shown.map((r) => [r.name, r.opType, r.outputShape ? `[${r.outputShape.join(", ")}]` : "", ms(r.usPerRun), pct(r.percent)])];
  const rest = summary.byNode.length - shown.length;
  return [
    header, "",
    "per op type:", table(types), "",
    `per node (${shown.length === summary.byNode.length ? "all" : `top ${shown.length} of ${summary.byNode.length}`}):`, table(nodes),
    ...(rest > 0 ? [`  … ${rest} more (--profile-top N)`] : []),
  ].join("\n");
}
