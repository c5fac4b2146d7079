// The float models of the shared corpus (../shared/models and ../shared/zoo manifests, or QKIT_SHARED_MODELS /
// QKIT_SHARED_ZOO) with a reference input and fp32 output, and quantizing one with a built-in into a QDQ file: what
// `bench -- accuracy` and `bench -- int8` share. A model that is absent or that a step cannot handle is an entry or
// an error that says why, never a crash.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { randomInput, root } from "./bench-support.mjs";

export const BUILTINS = ["xnnpack", "x86", "ort-qdq"];

const FOLDERS = [
  process.env.QKIT_SHARED_MODELS ?? path.join(root, "..", "shared", "models"),
  process.env.QKIT_SHARED_ZOO ?? path.join(root, "..", "shared", "zoo"),
];

function readTyped(file, type) {
  const bytes = readFileSync(file);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return type === "int64" ? new BigInt64Array(buffer) : new Float32Array(buffer);
}

/** Every float model of the manifests: { name, file, reference? } or { name, skip }. */
export function corpusModels(only) {
  const entries = [];
  for (const folder of FOLDERS) {
    const manifestFile = path.join(folder, "manifest.json");
    if (!existsSync(manifestFile)) {
      entries.push({ name: path.basename(folder), skip: `${manifestFile} not found (set QKIT_SHARED_MODELS / QKIT_SHARED_ZOO)` });
      continue;
    }
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8"));
    for (const [name, m] of Object.entries(manifest.models ?? {})) {
      if (only && !only.includes(name)) continue;
      const file = path.join(folder, m.file);
      const ref = m.reference ?? m.io;
      const reference = ref && {
        input: path.join(folder, ref.input), dims: ref.input_shape, type: ref.input_dtype ?? "float32",
        output: path.join(folder, ref.output), outputDims: ref.output_shape,
      };
      entries.push(existsSync(file) ? { name, file, reference, inputGen: m.input_gen ?? "" } : { name, skip: `${file} not found` });
    }
  }
  return entries;
}

/** The reference input and fp32 output: the manifest's files, or a seeded input and onnxruntime-node's output. */
export async function referenceFor(entry, ortNode) {
  if (entry.reference) {
    const r = entry.reference;
    return { input: readTyped(r.input, r.type), type: r.type, dims: r.dims, output: readTyped(r.output, "float32"), source: "stored" };
  }
  const session = await ortNode.InferenceSession.create(entry.file, { intraOpNumThreads: 1 });
  const meta = session.inputMetadata?.[0];
  const type = meta?.type ?? "float32";
  if (type !== "float32") throw new Error(`no reference input in the manifest and the input is ${type}`);
  const dims = (meta?.shape ?? []).map((d) => (typeof d === "number" ? d : 2));
  const input = randomInput(dims.reduce((a, b) => a * b, 1));
  const out = await session.run({ [session.inputNames[0]]: new ortNode.Tensor("float32", input, dims) });
  const output = out[session.outputNames[0]].data;
  await session.release?.();
  return { input, type, dims, output, source: "ORT-node here" };
}

/** The check's errors and warnings for a built-in on a model, as a short text ("clean" when there are none). */
export function checkSummary(qkit, model, builtin) {
  const { findings } = qkit.runCheck(model, qkit.loadQuantizer(builtin).quantizer);
  const errors = findings.filter((f) => f.severity === "error");
  const warnings = findings.filter((f) => f.severity === "warning");
  if (errors.length + warnings.length === 0) return { clean: true, text: "clean" };
  const first = errors[0] ?? warnings[0];
  return { clean: false, text: `${errors.length} errors, ${warnings.length} warnings (${first.code}: ${first.message.slice(0, 80)})` };
}

/** Quantize `model` with a built-in, calibrated on `feeds` (one batch), and export the QDQ file; throws with the reason. */
export async function quantizeToFile(qkit, model, builtin, feeds, file) {
  const prepared = qkit.prepare(model, qkit.loadQuantizer(builtin).quantizer);
  await qkit.calibrate(prepared, [feeds]);
  await qkit.exportOnnx(qkit.convert(prepared), file);
  return file;
}

/** A one-line reason from an error of any kind. */
export function why(error) {
  return String(error?.message ?? error).split("\n")[0].slice(0, 160);
}

/** SQNR in dB of `actual` against `expected`. */
export function sqnr(actual, expected) {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < expected.length; i++) {
    signal += expected[i] * expected[i];
    const d = expected[i] - actual[i];
    noise += d * d;
  }
  if (Number.isNaN(noise)) return NaN;
  return noise === 0 ? Infinity : 10 * Math.log10(signal / noise);
}

/** n values of N(0, 1) from a seeded generator (Box–Muller over a linear congruential one). */
function gaussian(n, seed) {
  const u = randomInput(2 * n, seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = Math.max((u[2 * i] + 1) / 2, 1e-7);
    x[i] = Math.sqrt(-2 * Math.log(a)) * Math.cos(Math.PI * (u[2 * i + 1] + 1));
  }
  return x;
}

/**
 * The batches a model is evaluated on: its reference input, and for models whose reference input is itself seeded
 * noise (torch.randn, token ids) `extra` more batches drawn the same way, with onnxruntime-node's fp32 outputs: SQNR
 * over more values varies less with where rounding ties happen to fall.
 */
export async function evaluationBatches(entry, reference, ortNode, extra = 3) {
  const batches = [{ input: reference.input, output: reference.output }];
  const gen = entry.inputGen ?? "";
  const tokens = reference.type === "int64" && /randint\(0, (\d+)/.exec(gen);
  if (!tokens && !/randn/.test(gen)) return batches;
  const session = await ortNode.InferenceSession.create(entry.file, { intraOpNumThreads: 1 });
  const n = reference.dims.reduce((a, b) => a * b, 1);
  for (let b = 1; b <= extra; b++) {
    const input = tokens ? BigInt64Array.from(randomInput(n, 1000 + b), (v) => BigInt(Math.floor(((v + 1) / 2) * Number(tokens[1]))))
      : gaussian(n, 1000 + b);
    const out = await session.run({ [session.inputNames[0]]: new ortNode.Tensor(reference.type, input, reference.dims) });
    batches.push({ input, output: out[session.outputNames[0]].data });
  }
  await session.release?.();
  return batches;
}

/** SQNR in dB over several batches (signal and noise summed over all of them). */
export function sqnrOver(actuals, expecteds) {
  let signal = 0;
  let noise = 0;
  for (let b = 0; b < expecteds.length; b++) {
    const expected = expecteds[b];
    const actual = actuals[b];
    for (let i = 0; i < expected.length; i++) {
      signal += expected[i] * expected[i];
      const d = expected[i] - actual[i];
      noise += d * d;
    }
  }
  if (Number.isNaN(noise)) return NaN;
  return noise === 0 ? Infinity : 10 * Math.log10(signal / noise);
}
