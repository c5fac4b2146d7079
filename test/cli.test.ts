import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const SHARED_MODELS = process.env.QKIT_SHARED_MODELS ?? path.join(ROOT, "..", "shared", "models");
const shared = (file: string) => path.join(SHARED_MODELS, file);
const skipUnless = (file: string) => (existsSync(shared(file)) ? false : `needs ${file} from the shared reference models`);

/** Runs `npx qkit ...` from the repository root, as the README tells users to. */
function qkit(...args: string[]) {
  return spawnSync("npx", ["--no-install", "qkit", ...args], { cwd: ROOT, encoding: "utf8" });
}

test("qkit --help and qkit inspect --help describe the commands", () => {
  const help = qkit("--help");
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /Usage: qkit <command>/);
  assert.match(help.stdout, /inspect\s+summarize an ONNX model/);
  const inspectHelp = qkit("inspect", "--help");
  assert.equal(inspectHelp.status, 0);
  assert.match(inspectHelp.stdout, /Usage: qkit inspect MODEL \[--graph\] \[--json\]/);
});

const EXPECTED: [string, Record<string, number>, number, number][] = [
  ["resnet18_op13.onnx", { Conv: 20, Relu: 17, Add: 8, MaxPool: 1, GlobalAveragePool: 1, Flatten: 1, Gemm: 1 }, 11_680_872, 26],
  ["mobilenet_v2_op13.onnx", { Conv: 52, Clip: 35, Add: 10, GlobalAveragePool: 1, Flatten: 1, Gemm: 1 }, 3_487_816, 106],
  ["fmnist_cnn_op13.onnx", { Conv: 5, Relu: 5, MaxPool: 2, Add: 1, GlobalAveragePool: 1, Flatten: 1, Gemm: 1 }, 97_802, 12],
];

for (const [file, ops, values, count] of EXPECTED) {
  test(`qkit inspect --json ${file}: operators and stored parameters`, { skip: skipUnless(file) }, () => {
    const result = qkit("inspect", shared(file), "--json");
    assert.equal(result.status, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    assert.deepEqual(summary.opTypes, ops);
    assert.equal(summary.parameters.initializers.values, values);
    assert.equal(summary.parameters.initializers.count, count);
    assert.equal(summary.inputs[0].dtype, "float32");
    assert.equal(summary.inputs[0].shape[0], "batch");
    assert.deepEqual(summary.opsets, [{ domain: "", version: 13 }]);
  });
}

test("qkit inspect reports folded exporter artefacts and prints the graph with --graph", { skip: skipUnless("resnet18_op13.onnx") }, () => {
  const result = qkit("inspect", shared("resnet18_op13.onnx"), "--graph");
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /parameters: 11,680,872 values in 26 initializers/);
  assert.match(result.stdout, /16 Identity nodes that forwarded shared initializers were folded away/);
  assert.match(result.stdout, /%\/layer1\/layer1\.0\/conv1\/Conv: float32\[batch,64,56,56\] = Conv\(/);
});

test("qkit inspect on the example model works without the shared models", () => {
  const result = qkit("inspect", "examples/fmnist_cnn_op13.onnx");
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /parameters: 97,802 values in 12 initializers/);
});

test("bad input exits 2 with one line on stderr and no stack trace", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "qkit-cli-"));
  try {
    const truncated = path.join(dir, "truncated.onnx");
    const whole = readFileSync(path.join(ROOT, "examples", "fmnist_cnn_op13.onnx"));
    writeFileSync(truncated, whole.subarray(0, 50_000));
    const notOnnx = path.join(dir, "hostname");
    writeFileSync(notOnnx, "build-host\n");
    const cases: [string[], RegExp][] = [
      [["inspect", notOnnx], /hostname: is not an ONNX model/],
      [["inspect", truncated], /truncated\.onnx: is truncated or corrupt/],
      [["inspect", path.join(dir, "missing.onnx")], /missing\.onnx: no such file/],
      [["inspect"], /inspect needs a MODEL path/],
      [["inspect", "--frobnicate", "x"], /Unknown option '--frobnicate'/],
      [["frobnicate"], /unknown command 'frobnicate'/],
    ];
    for (const [args, pattern] of cases) {
      const result = qkit(...args);
      assert.equal(result.status, 2, `qkit ${args.join(" ")}: ${result.stderr}`);
      const lines = result.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, `one line for qkit ${args.join(" ")}: ${result.stderr}`);
      assert.match(lines[0]!, pattern);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
    }
    if (existsSync("/etc/hostname")) {
      const result = qkit("inspect", "/etc/hostname");
      assert.equal(result.status, 2);
      assert.equal(result.stderr.trimEnd().split("\n").length, 1);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The line an example marks with `// expect: CODE`. */
function markedLine(file: string, code: string): number {
  const lines = readFileSync(path.join(ROOT, file), "utf8").split("\n");
  const index = lines.findIndex((l) => l.includes(`// expect: ${code}`));
  assert.ok(index >= 0, `${file} marks ${code}`);
  return index + 1;
}

for (const [file, code] of [
  ["examples/broken/shared-spec-cycle.ts", "shared-spec-cycle"],
  ["examples/broken/derived-arity.ts", "derived-arity-mismatch"],
  ["examples/broken/quant-min-out-of-range.ts", "quant-range-outside-dtype"],
] as const) {
  test(`qkit check reports ${code} at the line that made it, in text and in JSON`, () => {
    const line = markedLine(file, code);
    const text = qkit("check", "--model", "examples/fmnist_cnn_op13.onnx", "--quantizer", file);
    assert.equal(text.status, 1, text.stderr);
    const errors = text.stdout.split("\n").filter((l) => / error /.test(l));
    assert.equal(errors.length, 1, text.stdout);
    assert.match(errors[0]!, new RegExp(`^${file.replace(/[./]/g, "\\$&")}:${line}:\\d+ error ${code} `));

    const json = qkit("check", "--model", "examples/fmnist_cnn_op13.onnx", "--quantizer", file, "--json");
    assert.equal(json.status, 1, json.stderr);
    const report = JSON.parse(json.stdout);
    const found = report.findings.filter((f: { severity: string }) => f.severity === "error");
    assert.deepEqual(found.map((f: { code: string; location: { file: string; line: number } }) => [f.code, f.location.file, f.location.line]), [[code, file, line]]);
    const { column, endLine, endColumn } = found[0].location;
    assert.ok(column >= 1 && endLine === line && endColumn >= column, JSON.stringify(found[0].location));
    assert.ok(Array.isArray(report.coverage.rows));
  });
}

test("qkit check on the tutorial quantizer: no errors and a coverage table", () => {
  const result = qkit("check", "--model", "examples/fmnist_cnn_op13.onnx", "--quantizer", "examples/fashion-mnist/tutorial-quantizer.ts");
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /coverage:\n\s+op type\s+total\s+annotated\s+float\s+not int8\n\s+Conv\s+5\s+5\s+0\s+0/);
  assert.match(result.stdout, /0 errors, 0 warnings/);
});

test("qkit check type-checks the quantizer as the editor does: type errors are findings at their lines; --no-typecheck skips them", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "qkit-check-types-"));
  try {
    const file = path.join(dir, "typed.ts");
    const text = readFileSync("examples/fashion-mnist/tutorial-quantizer.ts", "utf8").replace("quantMin: -128,", 'quantMin: "-128",');
    writeFileSync(file, text);
    const line = text.split("\n").findIndex((l) => l.includes('quantMin: "-128"')) + 1;
    const checked = qkit("check", "--model", "examples/fmnist_cnn_op13.onnx", "--quantizer", file, "--json");
    assert.equal(checked.status, 1, checked.stderr);
    const findings = JSON.parse(checked.stdout).findings as { code: string; message: string; location: { line: number } }[];
    const typeErrors = findings.filter((f) => f.code === "type-error");
    assert.deepEqual(typeErrors.map((f) => [f.location.line, f.message]), [[line, "Type 'string' is not assignable to type 'number'. (TS2322)"]]);
    // The quantizer still ran: its string range is the checker's finding too.
    assert.ok(findings.some((f) => f.code === "quant-range-outside-dtype" && f.message.includes('"-128" (a string, not an integer)')));
    const skipped = qkit("check", "--model", "examples/fmnist_cnn_op13.onnx", "--quantizer", file, "--json", "--no-typecheck");
    assert.deepEqual(JSON.parse(skipped.stdout).findings.filter((f: { code: string }) => f.code === "type-error"), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("qkit check: a quantizer that cannot load is a finding at its line, a missing one is bad input", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "qkit-check-"));
  try {
    const syntax = path.join(dir, "syntax.ts");
    writeFileSync(syntax, 'import { Quantizer } from "qkit";\nexport default class Q extends Quantizer {\n  annotate(m) { return m +; }\n}\n');
    const bad = qkit("check", "--model", "examples/fmnist_cnn_op13.onnx", "--quantizer", syntax, "--json");
    assert.equal(bad.status, 1, bad.stderr);
    const finding = JSON.parse(bad.stdout).findings[0];
    assert.equal(finding.code, "quantizer-threw");
    assert.equal(finding.location.line, 3);
    assert.equal(finding.message, "Expression expected.", "the message is the compiler's, without the file and position");

    const throwsOnLoad = path.join(dir, "throws.ts");
    writeFileSync(throwsOnLoad, 'import { Quantizer } from "qkit";\n\nthrow new Error("no backend config");\nexport default class Q extends Quantizer { annotate(m: any) { return m; } }\n');
    const thrown = qkit("check", "--model", "examples/fmnist_cnn_op13.onnx", "--quantizer", throwsOnLoad, "--json");
    assert.equal(thrown.status, 1, thrown.stderr);
    assert.equal(JSON.parse(thrown.stdout).findings[0].location.line, 3);

    const none = path.join(dir, "none.ts");
    writeFileSync(none, "export const x = 1;\n");
    const noQuantizer = qkit("check", "--model", "examples/fmnist_cnn_op13.onnx", "--quantizer", none);
    assert.equal(noQuantizer.status, 2);
    assert.match(noQuantizer.stderr, /none\.ts: exports no Quantizer/);
    const missing = qkit("check", "--model", "examples/fmnist_cnn_op13.onnx", "--quantizer", path.join(dir, "missing.ts"));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /missing\.ts: no such quantizer file/);
    // A misspelling names what it likely meant: a built-in, or a file under the working folder.
    const builtin = qkit("check", "--model", "examples/fmnist_cnn_op13.onnx", "--quantizer", "xnnpak");
    assert.match(builtin.stderr, /xnnpak: no such quantizer file.*; did you mean "xnnpack"\?$/m);
    const typo = qkit("check", "--model", "examples/fmnist_cnn_op13.onnx", "--quantizer", "examples/fashion-mnist/tutorial-quantizr.ts");
    assert.match(typo.stderr, /; did you mean "examples\/fashion-mnist\/tutorial-quantizer\.ts"\?$/m);
    const noModel = qkit("check", "--quantizer", none);
    assert.equal(noModel.status, 2);
    assert.match(noModel.stderr, /check needs --model MODEL/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
