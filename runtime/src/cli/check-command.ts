import * as path from "node:path";
import { loadModel } from "../onnx/load.js";
import { runCheck } from "../checker/check.js";
import type { Coverage } from "../checker/coverage.js";
import type { Finding } from "../checker/finding.js";
import { loadQuantizer, QuantizerLoadError } from "../quantizer/load-quantizer.js";
import { formatSite, type SourceSite } from "../quantizer/source-site.js";
import type { Command } from "./command.js";
import { UsageError } from "./command.js";
import { parseCommandArgs, stringOption } from "./args.js";
import { table } from "./format.js";

const usage = `Usage: qkit check --model MODEL --quantizer FILE.ts [--json]

Run the quantizer's annotate() on the model and report every mistake at the line of the quantizer that made it,
then how much of the model is annotated. The quantizer is compiled on the fly (TypeScript or JavaScript).

Output: one line per finding, 'file:line:col severity code message'; with --json,
{ findings: [{ code, severity, message, file, line, column, related }], coverage }.
Exit status: 0 no errors, 1 errors found, 2 bad input (model or quantizer cannot be loaded).

Options:
  --model MODEL         the ONNX model to annotate
  --quantizer FILE      a module exporting a class that extends Quantizer (default export, or the only one)
  --json                print JSON
  -h, --help            show this help`;

interface JsonSite {
  file: string;
  line: number;
  column: number;
}

function jsonSite(site: SourceSite | undefined, fallback: SourceSite): JsonSite {
  const s = site ?? fallback;
  return { file: path.relative(process.cwd(), s.file) || s.file, line: s.line, column: s.column };
}

function findingToJson(f: Finding, fallback: SourceSite) {
  return {
    code: f.code,
    severity: f.severity,
    message: f.message,
    ...jsonSite(f.site, fallback),
    related: f.related.map((r) => ({ message: r.message, ...jsonSite(r.site, fallback) })),
    nodes: f.nodes,
  };
}

function coverageTable(coverage: Coverage): string {
  const rows = [["op type", "total", "annotated", "float", "not int8"]];
  for (const r of coverage.rows) rows.push([r.opType, String(r.total), String(r.annotated), String(r.float), String(r.notInt8)]);
  return table(rows);
}

export const checkCommand: Command = {
  name: "check",
  summary: "run a quantizer's annotate() on a model and report mistakes at the lines that made them",
  usage,
  async run(argv) {
    const args = parseCommandArgs(argv, { model: { type: "string" }, quantizer: { type: "string" }, json: { type: "boolean" } }, false);
    if (args.values.help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    const modelPath = stringOption(args, "model");
    const quantizerPath = stringOption(args, "quantizer");
    if (!modelPath || !quantizerPath) throw new UsageError(`check needs ${!modelPath ? "--model MODEL" : "--quantizer FILE.ts"}`);
    const model = await loadModel(modelPath);
    let loaded;
    try {
      loaded = loadQuantizer(quantizerPath);
    } catch (error) {
      if (error instanceof QuantizerLoadError && error.site) {
        // A quantizer that fails to compile or run is a finding in the user's file, not a crash.
        const f: Finding = { code: "quantizer-threw", severity: "error", message: error.message.replace(/^[^:]*:\d+:\d+: /, ""), site: error.site, related: [], nodes: [] };
        report([f], undefined, error.site, !!args.values.json);
        return 1;
      }
      throw error;
    }
    const result = runCheck(model, loaded.quantizer);
    report(result.findings, result.coverage, loaded.classSite, !!args.values.json);
    return result.findings.some((f) => f.severity === "error") ? 1 : 0;
  },
};

function report(findings: Finding[], coverage: Coverage | undefined, fallback: SourceSite, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ findings: findings.map((f) => findingToJson(f, fallback)), coverage: coverage ?? null }, null, 2)}\n`);
    return;
  }
  const lines = findings.flatMap((f) => [
    `${formatSite(f.site ?? fallback)} ${f.severity} ${f.code} ${f.message}`,
    ...f.related.map((r) => `  ${formatSite(r.site ?? fallback)} note: ${r.message}`),
  ]);
  if (lines.length) process.stdout.write(`${lines.join("\n")}\n`);
  if (coverage) process.stdout.write(`\ncoverage:\n${coverageTable(coverage)}\n`);
  const errors = findings.filter((f) => f.severity === "error").length;
  const warnings = findings.filter((f) => f.severity === "warning").length;
  process.stdout.write(`${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}\n`);
}
