import { loadModel } from "../model-io/load-model.js";
import { summarizeModel, type ModelSummary, type ValueSummary } from "../inspect.js";
import type { Command } from "./command.js";
import { UsageError } from "./command.js";
import { parseCommandArgs } from "./args.js";
import { formatBytes, formatCount, table } from "./format.js";
import { lowerWithReport, type LoweringReport } from "../lower/lower.js";

/** The lowering report as a table: node, op type, and the integer operator it became or why it stays float32. */
export function formatLowering(r: LoweringReport): string {
  const rows = r.nodes.map((n) => [n.name, n.opType, n.loweredAs ? `→ ${n.loweredAs}` : `not lowered: ${n.reason ?? ""}`]);
  return [`lowered: ${r.lowered} of ${r.nodes.length} operators (${r.float} are not)`, table(rows)].join("\n");
}

const usage = `Usage: qkit inspect MODEL [--graph] [--json] [--lowered]

Summarize an ONNX model: inputs and outputs with dtypes and shapes, opsets, operator counts, parameters, module tree.

Options:
  --graph    print the graph in qkit's text form (with --lowered, the lowered graph)
  --lowered  lower the Q/DQ model to integer operators and list which nodes lowered, and why the others stay float32
  --json     print the summary (and with --graph, the graph text) as JSON
  -h, --help show this help`;

function formatValue(v: ValueSummary): string[] {
  return [v.name, v.dtype, v.shape ? `[${v.shape.join(", ")}]` : "unknown"];
}

export function formatSummary(s: ModelSummary): string {
  const lines: string[] = [];
  lines.push(`${s.file}`);
  lines.push(`  IR ${s.irVersion}, opsets ${s.opsets.map((o) => `${o.domain || "ai.onnx"} ${o.version}`).join(", ")}${s.producer ? `, produced by ${s.producer}` : ""}`);
  lines.push("inputs:");
  lines.push(table(s.inputs.map(formatValue)));
  lines.push("outputs:");
  lines.push(table(s.outputs.map(formatValue)));
  lines.push(`operators: ${s.nodes}`);
  lines.push(table(Object.entries(s.opTypes).map(([op, n]) => [op, String(n)])));
  const { initializers, constants } = s.parameters;
  lines.push(`parameters: ${formatCount(initializers.values)} values in ${initializers.count} initializers (${formatBytes(initializers.bytes)})`);
  if (constants.count > 0) lines.push(`  and ${formatCount(constants.values)} values in ${constants.count} Constant nodes, folded into parameters`);
  if (s.normalization.identitiesFolded > 0) lines.push(`  ${s.normalization.identitiesFolded} Identity nodes that forwarded shared initializers were folded away`);
  if (s.normalization.batchNormsFolded > 0) lines.push(`  ${s.normalization.batchNormsFolded} BatchNormalization nodes were folded into the convolutions before them (operators above count the folded graph, the one quantizers annotate)`);
  lines.push(`modules: ${s.modules.count} (tree depth ${s.modules.depth})`);
  return lines.join("\n");
}

export const inspectCommand: Command = {
  name: "inspect",
  summary: "summarize an ONNX model (inputs, outputs, opsets, operators, parameters)",
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, { graph: { type: "boolean" }, json: { type: "boolean" }, lowered: { type: "boolean" } });
    if (values.help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? "inspect needs a MODEL path" : `inspect takes one MODEL, got ${positionals.length}`);
    const loaded = await loadModel(positionals[0]!);
    const summary = summarizeModel(loaded);
    const lowering = values.lowered ? lowerWithReport(loaded) : undefined;
    const model = lowering?.model ?? loaded;
    if (values.json) {
      const out = { ...summary, ...(lowering ? { lowering: lowering.report } : {}), ...(values.graph ? { graph: model.graph.toString() } : {}) };
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      process.stdout.write(`${formatSummary(summary)}\n`);
      if (lowering) process.stdout.write(`\n${formatLowering(lowering.report)}\n`);
      if (values.graph) process.stdout.write(`\n${model.graph.toString()}\n`);
    }
    return 0;
  },
};
