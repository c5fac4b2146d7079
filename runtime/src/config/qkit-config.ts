import * as path from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { QkitError } from "../errors.js";
import { BUILTIN_QUANTIZERS } from "../builtin/registry.js";

/** The workspace configuration file; the CLI and the language server both read it from the workspace root. */
export const CONFIG_FILE_NAME = "qkit.json";

export interface CalibrationConfig {
  /** A .npz (or folder of .npy) file of input batches. */
  data: string;
  batchSize?: number;
  /** Stop after this many samples. */
  limit?: number;
  /** Image and IDX pixels are multiplied by this first (default 1/255), as `--scale` does. */
  scale?: number;
  /** Then the per-channel mean is subtracted and the result divided by the std (`--mean`, `--std`). */
  mean?: number | number[];
  std?: number | number[];
}

/** One quantizer applied to one model. Paths are relative to the folder holding qkit.json. */
export interface TargetConfig {
  quantizer: string;
  model: string;
  calibration?: CalibrationConfig;
  output?: string;
}

export interface QkitConfig {
  targets: TargetConfig[];
}

/** A target with every path made absolute. */
export interface ResolvedTarget extends TargetConfig {
  index: number;
  quantizerPath: string;
  modelPath: string;
  calibrationPath: string | undefined;
  outputPath: string | undefined;
}

/**
 * A problem with the configuration, located by its JSON path (["targets", 0, "model"]) so an editor can underline
 * the value and the CLI can name it.
 */
export interface ConfigProblem {
  path: (string | number)[];
  message: string;
  /** Unknown fields are warnings: the rest of the file still works. */
  severity: "error" | "warning";
}

/** qkit.json is missing or unusable; the message names the file and the field. */
export class ConfigError extends QkitError {
  constructor(readonly file: string, message: string, readonly problems: ConfigProblem[] = []) {
    super("config", `${file}: ${message}`);
  }
}

function describePath(p: (string | number)[]): string {
  return p.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? k : `.${k}`)).join("") || "the file";
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

const TARGET_KEYS = new Set(["quantizer", "model", "calibration", "output"]);
const CALIBRATION_KEYS = new Set(["data", "batchSize", "limit", "scale", "mean", "std"]);

function checkString(value: unknown, at: (string | number)[], problems: ConfigProblem[], required: boolean): void {
  if (value === undefined) {
    if (required) problems.push({ path: at, message: `${describePath(at)} is missing; give a path relative to qkit.json` , severity: "error" });
  } else if (typeof value !== "string" || value === "") {
    problems.push({ path: at, message: `${describePath(at)} must be a non-empty path string` , severity: "error" });
  }
}

function checkPositiveInteger(value: unknown, at: (string | number)[], problems: ConfigProblem[]): void {
  if (value !== undefined && !(typeof value === "number" && Number.isInteger(value) && value > 0)) {
    problems.push({ path: at, message: `${describePath(at)} must be a positive integer` , severity: "error" });
  }
}

function checkNumbers(value: unknown, at: (string | number)[], problems: ConfigProblem[], allowList: boolean): void {
  if (value === undefined) return;
  const ok = (x: unknown) => typeof x === "number" && Number.isFinite(x);
  const valid = ok(value) || (allowList && Array.isArray(value) && value.length > 0 && value.every(ok));
  if (!valid) problems.push({ path: at, message: `${describePath(at)} must be a number${allowList ? " or a list of numbers (one per channel)" : ""}`, severity: "error" });
}

/**
 * Validate parsed JSON as a qkit configuration. Every problem is collected (not just the first) so an editor can show
 * them all; the config is returned unless one of them is an error. The same rules are in schemas/qkit.schema.json.
 */
export function validateQkitConfig(json: unknown): { config: QkitConfig | undefined; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  if (!isObject(json)) return { config: undefined, problems: [{ path: [], message: 'qkit.json must hold an object like { "targets": [...] }', severity: "error" }] };
  for (const key of Object.keys(json)) {
    if (key !== "targets" && key !== "$schema") problems.push({ path: [key], message: `unknown field "${key}"; qkit.json has "targets"`, severity: "warning" });
  }
  const targets = json.targets;
  if (!Array.isArray(targets)) {
    problems.push({ path: targets === undefined ? [] : ["targets"], message: '"targets" must be an array of { "quantizer", "model" } objects', severity: "error" });
    return { config: undefined, problems };
  }
  targets.forEach((target: unknown, i) => {
    const at = ["targets", i];
    if (!isObject(target)) {
      problems.push({ path: at, message: `${describePath(at)} must be an object with "quantizer" and "model"` , severity: "error" });
      return;
    }
    for (const key of Object.keys(target)) {
      if (!TARGET_KEYS.has(key)) problems.push({ path: [...at, key], message: `unknown field "${key}"; a target has ${[...TARGET_KEYS].join(", ")}`, severity: "warning" });
    }
    checkString(target.quantizer, [...at, "quantizer"], problems, true);
    checkString(target.model, [...at, "model"], problems, true);
    checkString(target.output, [...at, "output"], problems, false);
    const calibration = target.calibration;
    if (calibration !== undefined) {
      const cat = [...at, "calibration"];
      if (!isObject(calibration)) {
        problems.push({ path: cat, message: `${describePath(cat)} must be an object like { "data": "calib.npz" }` , severity: "error" });
      } else {
        for (const key of Object.keys(calibration)) {
          if (!CALIBRATION_KEYS.has(key)) problems.push({ path: [...cat, key], message: `unknown field "${key}"; calibration has ${[...CALIBRATION_KEYS].join(", ")}`, severity: "warning" });
        }
        checkString(calibration.data, [...cat, "data"], problems, true);
        checkPositiveInteger(calibration.batchSize, [...cat, "batchSize"], problems);
        checkPositiveInteger(calibration.limit, [...cat, "limit"], problems);
        checkNumbers(calibration.scale, [...cat, "scale"], problems, false);
        checkNumbers(calibration.mean, [...cat, "mean"], problems, true);
        checkNumbers(calibration.std, [...cat, "std"], problems, true);
      }
    }
  });
  return { config: problems.some((p) => p.severity === "error") ? undefined : (json as unknown as QkitConfig), problems };
}

/** Parse and validate the text of a qkit.json. Syntax errors are one problem at the file's root. */
export function parseQkitConfig(text: string): { config: QkitConfig | undefined; problems: ConfigProblem[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { config: undefined, problems: [{ path: [], message: `not valid JSON (${(error as Error).message})`, severity: "error" }] };
  }
  return validateQkitConfig(json);
}

/** Make a target's paths absolute, relative to the folder that holds qkit.json. */
export function resolveTargets(config: QkitConfig, root: string): ResolvedTarget[] {
  const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(root, p));
  // A built-in's name (xnnpack, x86, ort-qdq) stands for the quantizer qkit ships, unless a file of that name exists.
  const quantizer = (q: string) => (isBuiltinQuantizerName(q) && !existsSync(path.resolve(root, q)) ? q : abs(q)!);
  return config.targets.map((t, index) => ({
    ...t,
    index,
    quantizerPath: quantizer(t.quantizer),
    modelPath: abs(t.model)!,
    calibrationPath: abs(t.calibration?.data),
    outputPath: abs(t.output),
  }));
}

/** Read `dir/qkit.json`; a missing file or invalid content is a ConfigError naming the first problem. */
export function isBuiltinQuantizerName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(BUILTIN_QUANTIZERS, name);
}

export function readQkitConfig(dir: string): { file: string; config: QkitConfig; targets: ResolvedTarget[] } {
  const file = path.join(dir, CONFIG_FILE_NAME);
  if (!existsSync(file)) throw new ConfigError(file, `no such file; create one with { "targets": [{ "quantizer": "...", "model": "..." }] } or pass --model and --quantizer`);
  const { config, problems } = parseQkitConfig(readFileSync(file, "utf8"));
  if (!config) {
    const first = problems.find((p) => p.severity === "error")!;
    throw new ConfigError(file, `${first.message}${problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : ""}`, problems);
  }
  return { file, config, targets: resolveTargets(config, dir) };
}
