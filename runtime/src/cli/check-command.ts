import { existsSync } from "node:fs";
import * as path from "node:path";
import { readQkitConfig } from "../config/qkit-config.js";
import type { Coverage } from "../checker/coverage.js";
import { finding, loadErrorFinding, type Finding } from "../checker/finding.js";
import { typeCheckQuantizer, type TypeProblem } from "../user-code/type-check.js";
import { TS_EXTENSIONS } from "../user-code/transpile.js";
import { checkTarget } from "../pipeline/check-target.js";
import { isBuiltinQuantizerName } from "../config/qkit-config.js";
import { checkInSandbox } from "./check-in-sandbox.js";
import { formatLocation, relativeLocation, type SourceLocation } from "../source-location.js";
import type { Command } from "./command.js";
import { UsageError } from "./command.js";
import { parseCommandArgs, stringOption } from "./args.js";
import { table } from "./format.js";

const DEFAULT_LIMITS = { timeoutMs: 60_000, memoryLimitMb: 4096 };

const usage = `Usage: qkit check --model MODEL --quantizer FILE.ts [--json] [--no-typecheck] [--timeout MS] [--memory-limit MB]
       qkit check [--json] [--no-typecheck] [--timeout MS] [--memory-limit MB]   (every target of ./qkit.json)

Type-check the quantizer as the editor does (errors have the code type-error), run its annotate() on the model and
report every mistake at the line of the quantizer that made it, then how much of the model is annotated. The
quantizer is compiled on the fly (TypeScript or JavaScript); it runs even when it has type errors, in a process of
its own with a time limit and a memory cap, as in the editor: a quantizer that loops, exhausts memory or calls
process.exit gets one finding at its line.

Output: one line per finding, 'file:line:col severity code message'; with --json,
{ findings: [{ code, severity, message, location, related: [{ message, location }], nodes }], coverage }, each
location { file, line, column, endLine, endColumn } with the file relative to the working directory; for a qkit.json
with several targets, { targets: [{ quantizer, model, findings, coverage }] }.
Exit status: 0 no errors, 1 errors found, 2 bad input (model or quantizer cannot be loaded).

Options:
  --model MODEL         the ONNX model to annotate
  --quantizer FILE      a module exporting a class that extends Quantizer (default export, or the only one)
  --json                print JSON
  --no-typecheck        skip type-checking (faster; annotate() runs either way)
  --timeout MS          how long loading and running the quantizer may take (default ${DEFAULT_LIMITS.timeoutMs})
  --memory-limit MB     the quantizer's heap, and the cap on its process's resident memory growth (default ${DEFAULT_LIMITS.memoryLimitMb})
  -h, --help            show this help`;

/** A finding's location as printed: findings about the quantizer as a whole sit at its class, as in editors. */
function printedLocation(location: SourceLocation | undefined, fallback: SourceLocation): SourceLocation {
  return relativeLocation(location ?? fallback, process.cwd());
}

function findingToJson(f: Finding, fallback: SourceLocation) {
  return {
    code: f.code,
    severity: f.severity,
    message: f.message,
    location: printedLocation(f.location, fallback),
    related: f.related.map((r) => ({ message: r.message, location: printedLocation(r.location, fallback) })),
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
    const args = parseCommandArgs(argv, { model: { type: "string" }, quantizer: { type: "string" }, json: { type: "boolean" }, "no-typecheck": { type: "boolean" }, timeout: { type: "string" }, "memory-limit": { type: "string" } }, false);
    if (args.values.help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    const modelPath = stringOption(args, "model");
    const quantizerPath = stringOption(args, "quantizer");
    const json = !!args.values.json;
    const typecheck = !args.values["no-typecheck"];
    const limits = {
      timeoutMs: positiveInteger(stringOption(args, "timeout"), "--timeout", DEFAULT_LIMITS.timeoutMs),
      memoryLimitMb: positiveInteger(stringOption(args, "memory-limit"), "--memory-limit", DEFAULT_LIMITS.memoryLimitMb),
    };
    if (!modelPath && !quantizerPath) return checkConfigTargets(json, typecheck, limits);
    if (!modelPath || !quantizerPath) throw new UsageError(`check needs ${!modelPath ? "--model MODEL" : "--quantizer FILE.ts"}`);
    const outcome = await checkOne(modelPath, quantizerPath, typecheck, limits);
    if (json) process.stdout.write(`${JSON.stringify(outcome.json, null, 2)}\n`);
    else process.stdout.write(outcome.text);
    return outcome.errors ? 1 : 0;
  },
};

export interface TargetOutcome {
  errors: boolean;
  text: string;
  json: { findings: ReturnType<typeof findingToJson>[]; coverage: Coverage | null };
}

/** With no --model and --quantizer, check what the workspace's qkit.json lists, as the language server does. */
async function checkConfigTargets(json: boolean, typecheck: boolean, limits: Limits): Promise<number> {
  const { targets } = readQkitConfig(process.cwd());
  let errors = false;
  const results = [];
  for (const target of targets) {
    const outcome = await checkOne(target.modelPath, target.quantizerPath, typecheck, limits);
    errors ||= outcome.errors;
    results.push({ quantizer: target.quantizer, model: target.model, ...outcome.json });
    if (!json) process.stdout.write(`${targets.length > 1 ? `== ${target.quantizer} on ${target.model}\n` : ""}${outcome.text}`);
  }
  if (json) process.stdout.write(`${JSON.stringify(results.length === 1 ? { findings: results[0]!.findings, coverage: results[0]!.coverage } : { targets: results }, null, 2)}\n`);
  return errors ? 1 : 0;
}

/** The quantizer file's syntax and type errors (a built-in's name is no file to check). */
function typeProblems(quantizer: string): TypeProblem[] {
  if (!TS_EXTENSIONS.includes(path.extname(quantizer)) || !existsSync(quantizer)) return [];
  return typeCheckQuantizer(quantizer);
}

const typeErrorFinding = (p: TypeProblem): Finding => finding("type-error", `${p.message} (TS${p.tsCode})`, p.location);
/** TypeScript numbers its syntax errors 1000–1999. */
const isSyntaxError = (p: TypeProblem) => p.tsCode >= 1000 && p.tsCode < 2000;

type Limits = typeof DEFAULT_LIMITS;

function positiveInteger(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value <= 0 || value >= 2 ** 31) throw new UsageError(`${flag} takes a whole number above 0 and below 2147483648, not ${JSON.stringify(text)}`);
  return value;
}

async function checkOne(model: string, quantizer: string, typecheck: boolean, limits: Limits): Promise<TargetOutcome> {
  const typed = typecheck ? typeProblems(quantizer) : [];
  // A built-in quantizer is qkit's own code, and runs here; a file is user code, and runs in a sandbox.
  if (isBuiltinQuantizerName(quantizer) && !existsSync(quantizer)) {
    const result = await checkTarget({ model, quantizer });
    if (result.kind === "checked") return report(result.findings, result.coverage, result.loaded.classSite);
    throw result.error;
  }
  const result = await checkInSandbox(model, quantizer, limits, { timeoutFlag: "--timeout", memoryFlag: "--memory-limit" });
  if (result.kind === "checked") return report([...typed.map(typeErrorFinding), ...result.findings], result.coverage, result.classSite);
  if (result.kind === "stopped") return report([result.finding, ...typed.map(typeErrorFinding)], undefined, result.classSite);
  // A quantizer that does not load is a finding at its line, when it has one, rather than a crash. Its syntax error
  // is that finding already: of the type check, only what is not a syntax error (TS1xxx) is added.
  const finding = loadErrorFinding(result.error);
  if (!finding) throw result.error;
  return report([finding, ...typed.filter((p) => !isSyntaxError(p)).map(typeErrorFinding)], undefined, finding.location!);
}

/** Findings as text (with related notes, coverage and totals) and as JSON. */
export function report(findings: Finding[], coverage: Coverage | undefined, fallback: SourceLocation): TargetOutcome {
  const errors = findings.filter((f) => f.severity === "error").length;
  const warnings = findings.filter((f) => f.severity === "warning").length;
  const lines = findings.flatMap((f) => [
    `${formatLocation(f.location ?? fallback)} ${f.severity} ${f.code} ${f.message}`,
    ...f.related.map((r) => `  ${formatLocation(r.location ?? fallback)} note: ${r.message}`),
  ]);
  let text = lines.length ? `${lines.join("\n")}\n` : "";
  if (coverage) text += `\ncoverage:\n${coverageTable(coverage)}\n`;
  text += `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}\n`;
  return { errors: errors > 0, text, json: { findings: findings.map((f) => findingToJson(f, fallback)), coverage: coverage ?? null } };
}
