import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Tensor, encodeNpy, loadModel } from "qkit/tooling";

const ROOT = path.resolve(__dirname, "..", "..");
const SHARED = process.env.QKIT_SHARED ?? path.join(ROOT, "..", "shared");
const SHARED_MODELS = process.env.QKIT_SHARED_MODELS ?? path.join(SHARED, "models");
const ZOO = path.join(SHARED, "zoo");
const EXAMPLE_MODEL = path.join(ROOT, "examples", "fmnist_cnn_op13.onnx");

/** Runs the installed CLI in `cwd`, as a user would in their project folder. */
function qkit(cwd: string, ...args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, "runtime", "bin", "qkit.js"), ...args], { cwd, encoding: "utf8" });
}

function withDir(fn: (dir: string) => void | Promise<void>) {
  return async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "qkit-init-"));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

interface CorpusModel {
  name: string;
  file: string;
  /** The manifest's reference input: raw little-endian values of this shape. */
  input?: { file: string; shape: number[]; dtype: "float32" | "int64" };
}

/** Every float model of the shared corpus (the already-quantized QDQ exports are not a scaffold's input). */
function corpus(): CorpusModel[] {
  const models: CorpusModel[] = [];
  const modelsManifest = path.join(SHARED_MODELS, "manifest.json");
  if (existsSync(modelsManifest)) {
    const manifest = JSON.parse(readFileSync(modelsManifest, "utf8")) as { models: Record<string, { file: string; io?: { input: string; input_shape: number[] } }> };
    for (const [name, m] of Object.entries(manifest.models)) {
      models.push({ name, file: path.join(SHARED_MODELS, m.file), ...(m.io ? { input: { file: path.join(SHARED_MODELS, m.io.input), shape: m.io.input_shape, dtype: "float32" } } : {}) });
    }
  }
  const zooManifest = path.join(ZOO, "manifest.json");
  if (existsSync(zooManifest)) {
    const manifest = JSON.parse(readFileSync(zooManifest, "utf8")) as { models: Record<string, { file: string; reference: { input: string; input_shape: number[]; input_dtype: "float32" | "int64" } }> };
    for (const [name, m] of Object.entries(manifest.models)) {
      models.push({ name, file: path.join(ZOO, m.file), input: { file: path.join(ZOO, m.reference.input), shape: m.reference.input_shape, dtype: m.reference.input_dtype } });
    }
  }
  return models.filter((m) => existsSync(m.file));
}

/** The calibration batch: the manifest's reference input, or seeded normal values in the model's input shape (batch 2). */
async function calibrationTensor(model: CorpusModel): Promise<Tensor> {
  if (model.input && existsSync(model.input.file)) {
    const bytes = readFileSync(model.input.file);
    const data = model.input.dtype === "int64"
      ? new BigInt64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
      : new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    return new Tensor(model.input.dtype, data, model.input.shape);
  }
  const loaded = await loadModel(model.file);
  const input = loaded.graph.placeholders()[0]!;
  const dims = (input.meta.shape ?? []).map((d: unknown) => (typeof d === "number" ? d : 2));
  let seed = 7;
  const uniform = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) + 0.5) / 2 ** 31;
  const values = Float32Array.from({ length: dims.reduce((a: number, b: number) => a * b, 1) }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
  return new Tensor("float32", values, dims);
}

/** Finds an ONNX Runtime session for the model; its outputs must be finite. */
async function runInOnnxRuntime(file: string, inputName: string, input: Tensor): Promise<void> {
  const ort = require("onnxruntime-node") as typeof import("onnxruntime-node");
  const session = await ort.InferenceSession.create(file);
  const feed = new ort.Tensor(input.type as "float32" | "int64", input.data as Float32Array | BigInt64Array, input.dims as number[]);
  const outputs = await session.run({ [inputName]: feed });
  for (const [name, tensor] of Object.entries(outputs)) {
    if (tensor.type !== "float32") continue;
    assert.ok((tensor.data as Float32Array).every(Number.isFinite), `${path.basename(file)}: output ${name} holds non-finite values`);
  }
  await session.release();
}

/** init → check (type-check included, no error or warning) → quantize → ONNX Runtime runs the QDQ model. */
async function scaffoldChecksAndQuantizes(dir: string, model: string, data: { file: string; tensor: Tensor }, like = "xnnpack"): Promise<void> {
  const init = qkit(dir, "init", "--model", model, "--like", like);
  assert.equal(init.status, 0, init.stderr);
  const quantizer = path.join(dir, `${path.basename(model, ".onnx")}-quantizer.ts`);
  assert.ok(existsSync(quantizer), init.stdout);

  const check = qkit(dir, "check", "--model", model, "--quantizer", quantizer, "--json");
  assert.equal(check.status, 0, `${check.stdout}\n${check.stderr}`);
  const { findings } = JSON.parse(check.stdout) as { findings: { code: string; severity: string; message: string }[] };
  const problems = findings.filter((f) => f.severity === "error" || f.severity === "warning");
  assert.deepEqual(problems, [], `${path.basename(model)}: the generated quantizer should check clean`);

  const out = path.join(dir, "out.int8.onnx");
  const quantize = qkit(dir, "quantize", "--model", model, "--quantizer", quantizer, "--data", data.file, "--out", out);
  assert.equal(quantize.status, 0, `${quantize.stdout}\n${quantize.stderr}`);
  const loaded = await loadModel(out);
  assert.ok(loaded.graph.calls("QuantizeLinear").length > 0, `${path.basename(model)}: the quantized model has no QuantizeLinear`);
  await runInOnnxRuntime(out, loaded.graph.placeholders()[0]!.name, data.tensor);
}

test("qkit init on the shipped example: a target in qkit.json, a quantizer that checks clean and quantizes into a model ONNX Runtime runs", withDir(async (dir) => {
  const data = path.join(dir, "calibration.npy");
  const tensor = await calibrationTensor({ name: "example", file: EXAMPLE_MODEL });
  writeFileSync(data, encodeNpy(tensor));
  await scaffoldChecksAndQuantizes(dir, EXAMPLE_MODEL, { file: data, tensor });
  const config = JSON.parse(readFileSync(path.join(dir, "qkit.json"), "utf8"));
  assert.deepEqual(config.targets, [{ quantizer: "fmnist_cnn_op13-quantizer.ts", model: path.relative(dir, EXAMPLE_MODEL).split(path.sep).join("/") }]);
}));

for (const like of ["x86", "ort-qdq"]) {
  test(`qkit init --like ${like} on the shipped example checks clean and quantizes`, withDir(async (dir) => {
    const data = path.join(dir, "calibration.npy");
    const tensor = await calibrationTensor({ name: "example", file: EXAMPLE_MODEL });
    writeFileSync(data, encodeNpy(tensor));
    await scaffoldChecksAndQuantizes(dir, EXAMPLE_MODEL, { file: data, tensor }, like);
    const text = readFileSync(path.join(dir, "fmnist_cnn_op13-quantizer.ts"), "utf8");
    assert.match(text, like === "x86" ? /dtype: "uint8"/ : /qscheme: "per_tensor_symmetric"/);
  }));
}

const models = corpus();
test("the shared corpus is there to scaffold", { skip: models.length === 0 ? `needs the shared models (${SHARED_MODELS}, ${ZOO})` : false }, () => {
  assert.ok(models.length >= 4);
});

for (const model of models) {
  test(`qkit init on ${model.name}: the quantizer type-checks, checks clean, and quantizes into a model ONNX Runtime runs`, { timeout: 15 * 60_000 }, withDir(async (dir) => {
    const tensor = await calibrationTensor(model);
    const data = path.join(dir, "calibration.npy");
    writeFileSync(data, encodeNpy(tensor));
    await scaffoldChecksAndQuantizes(dir, model.file, { file: data, tensor });
  }));
}

test("qkit init never replaces a file without --force, and adds a target once to a qkit.json that has others", withDir((dir) => {
  writeFileSync(path.join(dir, "qkit.json"), `${JSON.stringify({ $schema: "schema.json", targets: [{ quantizer: "xnnpack", model: "other.onnx" }] }, null, 2)}\n`);
  const quantizer = path.join(dir, "mine.ts");
  writeFileSync(quantizer, "// my own work\n");
  const refused = qkit(dir, "init", "--model", EXAMPLE_MODEL, "--out", "mine.ts");
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /^qkit init: .*mine\.ts already exists; pass --force to replace it/);
  assert.equal(refused.stderr.trim().split("\n").length, 1);
  assert.equal(readFileSync(quantizer, "utf8"), "// my own work\n");
  assert.equal(JSON.parse(readFileSync(path.join(dir, "qkit.json"), "utf8")).targets.length, 1);

  for (let run = 0; run < 2; run++) {
    const forced = qkit(dir, "init", "--model", EXAMPLE_MODEL, "--out", "mine.ts", "--force");
    assert.equal(forced.status, 0, forced.stderr);
  }
  assert.match(readFileSync(quantizer, "utf8"), /export default class FmnistCnnOp13Quantizer extends Quantizer/);
  const config = JSON.parse(readFileSync(path.join(dir, "qkit.json"), "utf8"));
  assert.equal(config.$schema, "schema.json");
  assert.deepEqual(config.targets.map((t: { quantizer: string }) => t.quantizer), ["xnnpack", "mine.ts"]);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".tmp")), []);
}));

test("qkit init: bad input is one line naming what to fix", withDir((dir) => {
  const like = qkit(dir, "init", "--model", EXAMPLE_MODEL, "--like", "tflite");
  assert.equal(like.status, 2);
  assert.match(like.stderr, /--like takes one of xnnpack, x86, ort-qdq, not 'tflite'/);
  const missing = qkit(dir, "init", "--model", "nowhere.onnx");
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /nowhere\.onnx/);
  assert.equal(missing.stderr.trim().split("\n").length, 1);
  writeFileSync(path.join(dir, "qkit.json"), "{ not json");
  const badConfig = qkit(dir, "init", "--model", EXAMPLE_MODEL);
  assert.equal(badConfig.status, 2);
  assert.match(badConfig.stderr, /qkit\.json: not valid JSON/);
  assert.equal(existsSync(path.join(dir, "fmnist_cnn_op13-quantizer.ts")), false, "nothing is written when qkit.json cannot take the target");
}));
