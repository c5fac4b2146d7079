import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { EXAMPLES, REPO_ROOT } from "./helpers/data.js";

/**
 * `qkit check` runs the quantizer in the same kind of sandbox as the language server: a loop, an exit, a patched
 * built-in or a runaway allocation each end as one finding at the quantizer's line, never a hang, a silent exit 0 or
 * a clean report of nothing.
 */
const BIN = path.join(REPO_ROOT, "runtime", "bin", "qkit.js");
const MODEL = path.join(EXAMPLES, "fmnist_cnn_op13.onnx");
const dir = mkdtempSync(path.join(tmpdir(), "qkit-check-sandbox-"));

after(() => rmSync(dir, { recursive: true, force: true }));

/** A quantizer file whose annotate() runs `body`; the line marked `// here` is returned with it. */
function quantizer(name: string, body: string, classComment = ""): { file: string; line: (marker: string) => number } {
  const text = `import { Quantizer, getSourcePartitions, QuantizationAnnotation, QuantizationSpec, type GraphModule } from "qkit";

export default class ${name} extends Quantizer { ${classComment}
  annotate(model: GraphModule): GraphModule {
${body}
    return model;
  }
}
`;
  const file = path.join(dir, `${name}.ts`);
  writeFileSync(file, text);
  return { file, line: (marker) => text.split("\n").findIndex((l) => l.includes(marker)) + 1 };
}

function qkit(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const findingLines = (stdout: string) => stdout.split("\n").filter((l) => / (error|warning) [a-z-]+ /.test(l));

test("an endless loop is one check-timeout line at the class", async () => {
  const q = quantizer("Loops", "    for (;;);", "// class");
  const result = await qkit(["check", "--model", MODEL, "--quantizer", q.file, "--no-typecheck", "--timeout", "1000"]);
  assert.equal(result.code, 1, result.stderr);
  const lines = findingLines(result.stdout);
  assert.equal(lines.length, 1, result.stdout);
  assert.match(lines[0]!, new RegExp(`^Loops\\.ts:${q.line("// class")}:\\d+ error check-timeout Loops did not finish within 1000 ms`));
});

test("process.exit(0) is an error at its line, not a silent success", async () => {
  const q = quantizer("Exits", "    process.exit(0); // exit");
  const result = await qkit(["check", "--model", MODEL, "--quantizer", q.file, "--no-typecheck"]);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  const lines = findingLines(result.stdout);
  assert.equal(lines.length, 1, result.stdout);
  assert.match(lines[0]!, new RegExp(`^Exits\\.ts:${q.line("// exit")}:\\d+ error quantizer-exited the quantizer called process\\.exit\\(0\\)`));
});

test("a patched Array.prototype.push is refused at its line, not a clean report of nothing", async () => {
  const q = quantizer(
    "PatchesPush",
    `    Array.prototype.push = function () { return 0; }; // patch
    for (const p of getSourcePartitions(model.graph, ["Conv"])) p.nodes[0]!.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: new QuantizationSpec({ dtype: "int8" }) });`,
  );
  const result = await qkit(["check", "--model", MODEL, "--quantizer", q.file, "--no-typecheck"]);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.doesNotMatch(result.stdout, /^0 errors/m);
  const lines = findingLines(result.stdout);
  assert.ok(lines.some((l) => l.startsWith(`PatchesPush.ts:${q.line("// patch")}:`) && l.includes("error quantizer-threw") && l.includes("Array.prototype.push")), result.stdout);
});

test("a runaway allocation is one check-out-of-memory line", async () => {
  const q = quantizer("Hog", "    new Uint8Array(2 ** 31).fill(1);", "// class");
  const result = await qkit(["check", "--model", MODEL, "--quantizer", q.file, "--no-typecheck", "--memory-limit", "256", "--timeout", "600000"]);
  assert.equal(result.code, 1, result.stderr);
  const lines = findingLines(result.stdout);
  assert.equal(lines.length, 1, result.stdout);
  assert.match(lines[0]!, new RegExp(`^Hog\\.ts:${q.line("// class")}:\\d+ error check-out-of-memory Hog used more than 256 MB`));
});
