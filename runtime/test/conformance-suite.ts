/**
 * The ONNX backend test suite (Debian's libonnx-testdata, or QKIT_ONNX_TESTDATA) run through the engine. A test is
 * a folder with model.onnx and test_data_set_N/{input,output}_K.pb; it is "unsupported" when the model uses an
 * operator (or operator variant) the engine does not implement, else it must pass with the suite's tolerances
 * (|got - expected| ≤ atol + rtol·|expected|, rtol 1e-3, atol 1e-7).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadModel } from "../src/model-io/load-model.js";
import { onnx } from "../src/onnx/proto.js";
import { tensorDataType, tensorDims, tensorValues } from "../src/onnx/tensor-data.js";
import { Tensor, UnsupportedOperatorError, UnsupportedTypeError, supportedOps, type TensorType, type TensorData } from "../src/engine/index.js";
import { createSession } from "../src/session/create-session.js";
import { errorMessage } from "../src/errors.js";

export const DEFAULT_TESTDATA = "/usr/share/libonnx-testdata/data";
export const SUITES = ["node", "pytorch-converted", "pytorch-operator", "simple"];
const RTOL = 1e-3;
const ATOL = 1e-7;

export function testDataRoot(): string | undefined {
  const root = process.env.QKIT_ONNX_TESTDATA ?? DEFAULT_TESTDATA;
  return fs.existsSync(path.join(root, "node")) ? root : undefined;
}

export type Outcome = "pass" | "fail" | "unsupported";

export interface TestResult {
  name: string;
  ops: string[];
  outcome: Outcome;
  detail?: string;
  /**
   * Passed as ONNX Runtime, the peer: where the suite's expected output and ONNX Runtime's differ, qkit gives ONNX
   * Runtime's (what the models users bring were made to run in).
   */
  asPeer?: boolean;
}

/**
 * ONNX Runtime's answer where qkit's differs from the suite's expected output: whether ONNX Runtime differs from it
 * too and qkit gives what ONNX Runtime gives. Undefined when ONNX Runtime cannot run the test.
 */
async function agreesWithPeer(dir: string, feeds: Record<string, Tensor>, output: string, got: Tensor, expected: onnx.TensorProto): Promise<string | undefined> {
  try {
    const ort = await import("onnxruntime-node");
    // onnxruntime-node passes no bfloat16 tensors to JavaScript: such an output is read through a Cast to float32
    // appended to the model (exact: every bfloat16 is a float32), and a bfloat16 feed goes in as its float32 values.
    const bfloat16 = got.type === "bfloat16";
    const model = onnx.ModelProto.decode(fs.readFileSync(path.join(dir, "model.onnx")));
    if (bfloat16) {
      model.graph!.node!.push(onnx.NodeProto.create({ opType: "Cast", input: [output], output: [`${output}_float`], attribute: [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: 1 }] }));
      model.graph!.output = [onnx.ValueInfoProto.create({ name: `${output}_float`, type: { tensorType: { elemType: 1 } } })];
    }
    const session = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish(), { intraOpNumThreads: 1 });
    const ortFeeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(t.type as never, t.data as never, [...t.dims]);
    const result = (await session.run(ortFeeds))[bfloat16 ? `${output}_float` : output];
    await session.release?.();
    if (!result) return undefined;
    const peer = (bfloat16 ? Uint16Array.from(new Uint32Array(Float32Array.from(result.data as Float32Array).buffer), (b) => b >>> 16) : result.data) as ArrayLike<number | bigint | string>;
    const peerAsTensor = new Tensor(got.type, peer as TensorData, result.dims as number[]);
    // ONNX Runtime must disagree with the suite, and qkit agree with ONNX Runtime.
    if (compare(peerAsTensor, expected) === undefined) return undefined;
    return compareValues(got, result.dims as number[], peer) === undefined ? "as ONNX Runtime, whose output differs from the suite's expected one" : undefined;
  } catch {
    return undefined;
  }
}

function readTensor(file: string): onnx.TensorProto {
  return onnx.TensorProto.decode(fs.readFileSync(file));
}

/** A test input as a tensor; the suite stores bfloat16 inputs as their uint16 bit patterns (NumPy has no bfloat16). */
function toTensor(proto: onnx.TensorProto, declared?: string): Tensor {
  const stored = tensorDataType(proto);
  const type = stored === "uint16" && declared === "bfloat16" ? "bfloat16" : stored;
  const values = tensorValues(proto);
  return new Tensor(type as TensorType, values as TensorData, tensorDims(proto));
}

/** The first element that is out of tolerance, described; undefined when everything matches. */
export function compare(got: Tensor, expected: onnx.TensorProto): string | undefined {
  return compareValues(got, tensorDims(expected), tensorValues(expected) as ArrayLike<number | bigint | string>);
}

function compareValues(got: Tensor, dims: readonly number[], want: ArrayLike<number | bigint | string>): string | undefined {
  if (got.dims.length !== dims.length || got.dims.some((d, i) => d !== dims[i])) {
    return `shape [${got.dims.join(", ")}], expected [${dims.join(", ")}]`;
  }
  const float = got.type === "float32" || got.type === "float64";
  const a = got.data as ArrayLike<number | bigint | string>;
  const b = want as ArrayLike<number | bigint | string>;
  for (let i = 0; i < b.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (float) {
      const xf = Number(x);
      const yf = Number(y);
      if (Number.isNaN(yf) ? Number.isNaN(xf) : xf === yf || Math.abs(xf - yf) <= ATOL + RTOL * Math.abs(yf)) continue;
    } else if (x === y || (typeof x !== "string" && typeof y !== "string" && Number(x) === Number(y))) {
      continue;
    }
    return `element ${i}: got ${String(x)}, expected ${String(y)}`;
  }
  return undefined;
}

export function listTests(root: string): string[] {
  const dirs: string[] = [];
  for (const suite of SUITES) {
    const base = path.join(root, suite);
    if (!fs.existsSync(base)) continue;
    for (const name of fs.readdirSync(base).sort()) {
      if (fs.existsSync(path.join(base, name, "model.onnx"))) dirs.push(path.join(base, name));
    }
  }
  return dirs;
}

export async function runTest(dir: string, root: string): Promise<TestResult> {
  const name = path.relative(root, dir);
  let ops: string[] = [];
  try {
    const model = await loadModel(path.join(dir, "model.onnx"));
    ops = [...new Set(model.graph.calls().map((n) => (n.domain && n.domain !== "ai.onnx" ? `${n.domain}.${n.opType}` : n.opType)))].sort();
    const known = new Set(supportedOps());
    const missing = ops.filter((op) => !known.has(op));
    if (missing.length > 0) return { name, ops, outcome: "unsupported", detail: `no ${missing.join(", ")}` };
    const session = await createSession(model);
    const declared = new Map(model.graph.placeholders().map((p) => [p.valueName, p.meta.dtype]));
    let asPeer: string | undefined;
    try {
      const sets = fs.readdirSync(dir).filter((d) => d.startsWith("test_data_set_")).sort();
      for (const set of sets) {
        const folder = path.join(dir, set);
        const feeds: Record<string, Tensor> = {};
        session.inputNames.forEach((input, k) => {
          const file = path.join(folder, `input_${k}.pb`);
          if (fs.existsSync(file)) feeds[input] = toTensor(readTensor(file), declared.get(input));
        });
        // ONNX 1.12's bfloat16 CastLike tests feed a [1] 'like' to a model that declares [3, 4]: data no runtime takes.
        for (const [input, t] of Object.entries(feeds)) {
          const shape = model.graph.placeholders().find((p) => p.valueName === input)?.meta.shape;
          if (shape && shape.every((d) => typeof d === "number") && (shape.length !== t.dims.length || shape.some((d, i) => d !== t.dims[i]))) {
            return { name, ops, outcome: "unsupported", detail: `the suite's ${input} has shape [${t.dims.join(", ")}] where the model declares [${shape.join(", ")}]: test data no runtime takes` };
          }
        }
        const outputs = await session.run(feeds);
        for (let k = 0; k < session.outputNames.length; k++) {
          const file = path.join(folder, `output_${k}.pb`);
          if (!fs.existsSync(file)) continue;
          const output = session.outputNames[k]!;
          const expected = readTensor(file);
          const problem = compare(outputs[output]!, expected);
          if (!problem) continue;
          const peer = await agreesWithPeer(dir, feeds, output, outputs[output]!, expected);
          if (!peer) return { name, ops, outcome: "fail", detail: `${set}, output '${output}': ${problem}` };
          asPeer = `${set}, output '${output}': ${peer} (${problem})`;
        }
      }
    } finally {
      await session.release();
    }
    return { name, ops, outcome: "pass", ...(asPeer ? { asPeer: true, detail: asPeer } : {}) };
  } catch (error) {
    if (error instanceof UnsupportedOperatorError || error instanceof UnsupportedTypeError) return { name, ops, outcome: "unsupported", detail: error.message };
    // Models the loader refuses (string or sequence types, newer IR) are outside what the engine claims to run.
    if (ops.length === 0) return { name, ops, outcome: "unsupported", detail: `does not load: ${errorMessage(error)}` };
    if (/strings|string/.test(errorMessage(error))) return { name, ops, outcome: "unsupported", detail: errorMessage(error) };
    return { name, ops, outcome: "fail", detail: errorMessage(error) };
  }
}

export async function runSuite(root: string, filter?: RegExp): Promise<TestResult[]> {
  const results: TestResult[] = [];
  for (const dir of listTests(root)) {
    if (filter && !filter.test(dir)) continue;
    results.push(await runTest(dir, root));
  }
  return results;
}

/** A per-op table (each test counts for every op its model uses) and the totals. */
export function summarize(results: readonly TestResult[]): string {
  const perOp = new Map<string, Record<Outcome, number>>();
  for (const r of results) {
    for (const op of r.ops.length ? r.ops : ["(no ops)"]) {
      const row = perOp.get(op) ?? { pass: 0, fail: 0, unsupported: 0 };
      row[r.outcome]++;
      perOp.set(op, row);
    }
  }
  const lines = [`${"op".padEnd(28)} ${"pass".padStart(5)} ${"fail".padStart(5)} ${"unsup".padStart(6)}`];
  for (const [op, row] of [...perOp].sort((a, b) => a[0].localeCompare(b[0]))) {
    lines.push(`${op.padEnd(28)} ${String(row.pass).padStart(5)} ${String(row.fail).padStart(5)} ${String(row.unsupported).padStart(6)}`);
  }
  const count = (o: Outcome) => results.filter((r) => r.outcome === o).length;
  const peer = results.filter((r) => r.asPeer).length;
  lines.push("", `total: ${results.length} tests, ${count("pass")} pass${peer ? ` (${peer} as ONNX Runtime, where its output and the suite's differ)` : ""}, ${count("fail")} fail, ${count("unsupported")} unsupported`);
  return lines.join("\n");
}
