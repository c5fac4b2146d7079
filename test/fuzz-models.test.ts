import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as qkit from "qkit/tooling";
import { onnx } from "qkit/tooling";

/**
 * Mutants of the example model qkit ships (byte flips, truncations, field mutations through onnx-proto) and the
 * crafted cases of the hostile-model findings. For each: `qkit inspect` (in-process, as the CLI runs it) exits 0, or 2
 * with exactly one line and no stack; and a model qkit loads and runs, ONNX Runtime must load and run too. Seeded and
 * bounded: the same mutants every run, a few seconds of work.
 */
const ROOT = path.resolve(__dirname, "..", "..");
const MODEL = path.join(ROOT, "examples", "fmnist_cnn_op13.onnx");
// The CLI's entry, as bin/qkit.js runs it (not part of the package's exports).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { main } = require(path.join(ROOT, "runtime", "dist", "src", "cli", "main.js")) as { main(argv: string[]): Promise<number> };

/** Mulberry32: a small seeded generator, so every run fuzzes the same mutants. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Mutant = { name: string; bytes: Uint8Array };

function mutants(original: Uint8Array): Mutant[] {
  const rand = random(15);
  const pick = (n: number) => Math.floor(rand() * n);
  const out: Mutant[] = [];
  for (let i = 0; i < 150; i++) {
    const bytes = new Uint8Array(original);
    const flips = 1 + pick(4);
    for (let f = 0; f < flips; f++) bytes[pick(bytes.length)] = pick(256);
    out.push({ name: `flip-${i}`, bytes });
  }
  for (let i = 0; i < 50; i++) out.push({ name: `truncate-${i}`, bytes: original.slice(0, pick(original.length)) });

  const fields: [string, (m: onnx.ModelProto) => void][] = [
    ["negative-pads", (m) => attr(m, "pads", (a) => (a.ints = a.ints!.map(() => -1)))],
    ["zero-strides", (m) => attr(m, "strides", (a) => (a.ints = a.ints!.map(() => 0)))],
    ["tensor-pads", (m) => attr(m, "pads", (a) => { a.type = onnx.AttributeProto.AttributeType.TENSOR; a.t = qkit.makeTensor("", "int64", [4], new BigInt64Array(4)); a.ints = []; })],
    ["unknown-attribute", (m) => nodeOf(m, "Conv").attribute!.push({ name: "padding", type: onnx.AttributeProto.AttributeType.INT, i: 1 })],
    ["weight-without-data", (m) => { const w = m.graph!.initializer![pick(m.graph!.initializer!.length)]!; w.rawData = new Uint8Array(0); w.floatData = []; }],
    ["negative-dims", (m) => { m.graph!.initializer![pick(m.graph!.initializer!.length)]!.dims![0] = -3; }],
    ["duplicate-output", (m) => { const nodes = m.graph!.node!; nodes[1]!.output = [...nodes[0]!.output!]; }],
    ["control-characters", (m) => { for (const n of m.graph!.node!) n.name = `${n.name}\n\u001b[2J`; nodes(m)[0]!.attribute!.push({ name: "bad\nname", type: 2, i: 1 }); }],
    ["wrong-op", (m) => { nodes(m)[pick(nodes(m).length)]!.opType = "NoSuchOp"; }],
    ["dropped-input", (m) => { const n = nodes(m)[pick(nodes(m).length)]!; n.input = n.input!.slice(1); }],
    ["renamed-input", (m) => { const n = nodes(m)[pick(nodes(m).length)]!; n.input![0] = "nowhere"; }],
    ["cycle", (m) => { const ns = nodes(m); ns[0]!.input![0] = ns[ns.length - 1]!.output![0]!; }],
    ["data-type", (m) => { m.graph!.initializer![pick(m.graph!.initializer!.length)]!.dataType = pick(30); }],
    ["ir-version", (m) => { m.irVersion = pick(20); }],
    ["opset", (m) => { m.opsetImport![0]!.version = pick(40); }],
    ["group", (m) => attr(m, "group", (a) => (a.i = pick(3) - 1))],
    ["kernel-shape", (m) => attr(m, "kernel_shape", (a) => (a.ints = a.ints!.map(() => pick(6) - 1)))],
    ["swap-nodes", (m) => { const ns = nodes(m); const i = pick(ns.length); const j = pick(ns.length); [ns[i], ns[j]] = [ns[j]!, ns[i]!]; }],
  ];
  const decoded = () => onnx.ModelProto.decode(original);
  for (let round = 0; round < 6; round++) {
    for (const [name, mutate] of fields) {
      const model = decoded();
      mutate(model);
      out.push({ name: `${name}-${round}`, bytes: onnx.ModelProto.encode(model).finish() });
    }
  }
  out.push({ name: "nested-subgraphs-5000", bytes: nestedIfs(5000) });
  return out;

  function nodes(m: onnx.ModelProto): onnx.INodeProto[] {
    return m.graph!.node!;
  }
  function nodeOf(m: onnx.ModelProto, opType: string): onnx.INodeProto {
    const all = nodes(m).filter((n) => n.opType === opType);
    return all[pick(all.length)]!;
  }
  function attr(m: onnx.ModelProto, name: string, change: (a: onnx.IAttributeProto) => void): void {
    const withIt = nodes(m).filter((n) => n.attribute!.some((a) => a.name === name));
    change(withIt[pick(withIt.length)]!.attribute!.find((a) => a.name === name)!);
  }
}

function nestedIfs(depth: number): Uint8Array {
  const varint = (n: number) => { const out: number[] = []; while (n > 127) { out.push((n & 127) | 128); n >>>= 7; } out.push(n); return Buffer.from(out); };
  const field = (tag: number, ...parts: Uint8Array[]) => { const body = Buffer.concat(parts); return Buffer.concat([varint(tag), varint(body.length), body]); };
  let graph: Uint8Array = Buffer.alloc(0);
  for (let i = 0; i < depth; i++) {
    const attribute = Buffer.concat([field(0x0a, Buffer.from("then_branch")), Buffer.from([0xa0, 0x01, 5]), field(0x32, graph)]);
    graph = field(0x0a, field(0x22, Buffer.from("If")), field(0x2a, attribute));
  }
  return Buffer.concat([Buffer.from([0x08, 8]), field(0x42, Buffer.from([0x10, 17])), field(0x3a, graph)]);
}

/** Runs the CLI's main in this process, capturing what it writes. */
async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const captured = { stdout: "", stderr: "" };
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  process.stdout.write = ((chunk: string) => ((captured.stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((captured.stderr += chunk), true)) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, ...captured };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
  }
}

test("fuzzed and crafted models: qkit exits 2 with one line, or runs a model ONNX Runtime also runs", async () => {
  const ort = await import("onnxruntime-node");
  const dir = mkdtempSync(path.join(tmpdir(), "qkit-fuzz-"));
  const input = new Float32Array(28 * 28).map((_, i) => Math.sin(i));
  const problems: string[] = [];
  const outcomes = { refused: 0, ranBoth: 0, refusedToRun: 0 };
  try {
    for (const { name, bytes } of mutants(new Uint8Array(readFileSync(MODEL)))) {
      const file = path.join(dir, `${name}.onnx`);
      writeFileSync(file, bytes);
      const inspect = await cli(["inspect", file]);
      if (inspect.code === 2) {
        const lines = inspect.stderr.trimEnd().split("\n");
        if (lines.length !== 1 || / at .*:\d+:\d+/.test(inspect.stderr)) problems.push(`${name}: not one line: ${JSON.stringify(inspect.stderr)}`);
        outcomes.refused++;
        continue;
      }
      if (inspect.code !== 0) {
        problems.push(`${name}: inspect exited ${inspect.code}: ${inspect.stderr.split("\n")[0]}`);
        continue;
      }
      let qkitRan = false;
      try {
        const session = await qkit.createSession(file);
        await session.run({ [session.inputNames[0]!]: new qkit.Tensor("float32", input, [1, 1, 28, 28]) });
        qkitRan = true;
      } catch (error) {
        if (!(error instanceof qkit.QkitError)) problems.push(`${name}: qkit failed to run it with ${(error as Error).name}: ${(error as Error).message}`);
        else if (error.message.includes("\n")) problems.push(`${name}: not one line: ${JSON.stringify(error.message)}`);
      }
      let ortRan = false;
      let ortError = "";
      try {
        // ONNX Runtime reads opset 7 on; qkit reads opsets 1–6 as opset 10, so ONNX Runtime gets that form of them.
        const legacy = onnx.ModelProto.decode(bytes).opsetImport.some((o) => !o.domain && Number(o.version) < 7);
        const session = legacy
          ? await ort.InferenceSession.create(qkit.serializeModel(await qkit.loadModel(file)))
          : await ort.InferenceSession.create(file);
        await session.run({ [session.inputNames[0]!]: new ort.Tensor("float32", input, [1, 1, 28, 28]) });
        ortRan = true;
      } catch (error) {
        ortError = (error as Error).message.split("\n")[0]!;
      }
      if (qkitRan && !ortRan) problems.push(`${name}: qkit runs a model ONNX Runtime refuses (${ortError})`);
      if (qkitRan && ortRan) outcomes.ranBoth++;
      else outcomes.refusedToRun++;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(problems, [], `${problems.length} problems; outcomes ${JSON.stringify(outcomes)}`);
  assert.ok(outcomes.refused > 50 && outcomes.ranBoth > 10, JSON.stringify(outcomes));
});
