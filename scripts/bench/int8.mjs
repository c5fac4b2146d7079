// `npm run bench -- int8 [--quick] [--samples N] [--only a,b]`: Q/DQ models on qkit's integer kernels (lowered, 1 and 2
// threads) against onnxruntime-web's wasm backend (1 thread) and onnxruntime-node (1 thread) on the same QDQ files,
// uint8 activations (ORT's fast path) and int8, samples interleaved in one process. The corpus: ResNet-18 and the
// Fashion-MNIST CNN as their shared QDQ files, every other model of ../shared/models and ../shared/zoo quantized here
// (uint8 activations through ort-qdq, int8 through xnnpack; a model a built-in cannot quantize is a row that says
// why). Prints median latencies, the ratio qkit / ORT-web with their geometric means, the 2-thread speedup, qkit's
// kernel memory, and the GOPS of ResNet-18's largest 3×3 convolutions as a share of the int8 ceiling measured here
// with the kernels' own i32x4.dot_i16x8_s probe.
// Targets: every model ≤ 0.60× ORT-web at 1 thread, geomean ≤ 0.40×, ResNet-18 ≤ 0.55×; big 3×3 convs ≥ 85% of the
// ceiling; 2 threads ≥ 1.8×.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import * as os from "node:os";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { geomean, measure, median, randomInput } from "../bench-support.mjs";
import { corpusModels, why } from "../bench-corpus.mjs";

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const qkit = require(path.join(root, "runtime", "dist", "src", "tooling.js"));
const kernelModule = require(path.join(root, "runtime", "dist", "src", "engine", "kernels", "module.js"));
const ortWeb = require("onnxruntime-web");
const ortNode = require("onnxruntime-node");

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const samplesArg = args.indexOf("--samples");
const SAMPLES_BS1 = samplesArg >= 0 ? Number(args[samplesArg + 1]) : 7;
const SAMPLES_BS32 = samplesArg >= 0 ? Math.max(1, Math.ceil(Number(args[samplesArg + 1]) / 3)) : 2;
const BATCHES = quick ? [1] : [1, 32];
const only = args.includes("--only") ? args[args.indexOf("--only") + 1].split(",") : undefined;
const shared = process.env.QKIT_SHARED_MODELS ?? path.join(root, "..", "shared", "models");
ortWeb.env.wasm.numThreads = 1;
ortWeb.env.logLevel = "error";

const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

/** A seeded input of a model's first input at batch 1: floats in [−1, 1), or token ids below `vocabulary`. */
function inputOf(type, dims, seed = 7, vocabulary = 4000) {
  const n = dims.reduce((a, b) => a * b, 1);
  const x = randomInput(n, seed);
  return type === "int64" ? BigInt64Array.from(x, (v) => BigInt(Math.floor(((v + 1) / 2) * vocabulary))) : x;
}

/** Models without a third-party QDQ file are quantized here, calibrated on one seeded batch. */
async function quantizedFile(dir, source, quantizer, name, input) {
  const model = await qkit.loadModel(source);
  const prepared = qkit.prepare(model, quantizer);
  const feed = { [qkit.modelInputs(model.graph)[0].name]: new qkit.Tensor(input.type, inputOf(input.type, input.dims), input.dims) };
  await qkit.calibrate(prepared, [feed]);
  const file = path.join(dir, name);
  await qkit.exportOnnx(qkit.convert(prepared), file);
  return file;
}

/** MACs per second of i32x4.dot_i16x8_s on registers: the ceiling of these integer kernels on this machine. */
function ceiling() {
  const { module } = kernelModule.kernelModule("auto");
  const memory = new WebAssembly.Memory({ initial: 2, maximum: kernelModule.MAX_PAGES, shared: true });
  const k = kernelModule.instantiate(module, memory);
  const iterations = 2_000_000;
  k.peak_int_ops(iterations, 1);
  const runs = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    k.peak_int_ops(iterations, 1);
    runs.push(performance.now() - t);
  }
  return (2 * 96 * iterations) / median(runs) / 1e6; // GOPS, 2 ops per multiply-add
}

/** One quantized 3×3 convolution (uint8 in and out, int8 per-channel weights, int32 bias) as QDQ ONNX bytes. */
function qconvModel(C, H) {
  const { onnx } = qkit;
  const w = new Int8Array(C * C * 9).map((_, i) => ((i * 7919) % 255) - 127);
  const info = (name, type, dims) => ({ name, type: { tensorType: { elemType: type, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  const f32 = (name, values, dims = []) => ({ name, dataType: 1, dims, rawData: new Uint8Array(Float32Array.from(values).buffer) });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 13 }],
    graph: {
      name: "qconv",
      node: [
        { opType: "DequantizeLinear", input: ["x", "sx", "zx"], output: ["xf"], name: "dqx" },
        { opType: "DequantizeLinear", input: ["w", "sw"], output: ["wf"], name: "dqw", attribute: [{ name: "axis", type: 2, i: 0 }] },
        { opType: "DequantizeLinear", input: ["b", "sb"], output: ["bf"], name: "dqb", attribute: [{ name: "axis", type: 2, i: 0 }] },
        { opType: "Conv", input: ["xf", "wf", "bf"], output: ["yf"], name: "conv",
          attribute: [{ name: "pads", type: 7, ints: [1, 1, 1, 1] }, { name: "kernel_shape", type: 7, ints: [3, 3] }] },
        { opType: "Relu", input: ["yf"], output: ["yr"], name: "relu" },
        { opType: "QuantizeLinear", input: ["yr", "sy", "zy"], output: ["y"], name: "qy" },
      ],
      initializer: [
        f32("sx", [0.02]), { name: "zx", dataType: 2, dims: [], rawData: Uint8Array.of(128) },
        { name: "w", dataType: 3, dims: [C, C, 3, 3], rawData: new Uint8Array(w.buffer) },
        f32("sw", new Array(C).fill(0.01), [C]),
        { name: "b", dataType: 6, dims: [C], rawData: new Uint8Array(new Int32Array(C).fill(100).buffer) },
        f32("sb", new Array(C).fill(0.0002), [C]),
        f32("sy", [0.5]), { name: "zy", dataType: 2, dims: [], rawData: Uint8Array.of(0) },
      ],
      input: [info("x", 2, [1, C, H, H])],
      output: [info("y", 2, [1, C, H, H])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

const dir = mkdtempSync(path.join(os.tmpdir(), "qkit-int8-bench-"));
const MODELS = [];
const SKIPPED = [];
const add = (name, dims, u8, s8, batches = BATCHES, type = "float32") => {
  if (u8 && existsSync(u8) && s8 && existsSync(s8)) MODELS.push({ name, dims, u8, s8, batches, type });
  else SKIPPED.push([name, "models not found; set QKIT_SHARED_MODELS"]);
};
const wanted = (name) => !only || only.includes(name);
if (wanted("resnet18_op13")) add("resnet18_op13", [3, 224, 224], path.join(shared, "resnet18_op13.qdq_u8s8.onnx"), path.join(shared, "resnet18_op13.qdq_s8s8.onnx"));
if (wanted("fmnist_cnn_op13")) add("fmnist_cnn_op13", [1, 28, 28], path.join(shared, "fmnist_cnn_op13.qdq_u8s8.onnx"), path.join(shared, "fmnist_cnn_op13.qdq_s8s8.onnx"));
for (const entry of corpusModels(only)) {
  if (entry.name === "resnet18_op13" || entry.name === "fmnist_cnn_op13") continue;
  if (entry.skip) { SKIPPED.push([entry.name, entry.skip]); continue; }
  let input;
  if (entry.reference) input = { type: entry.reference.type, dims: [1, ...entry.reference.dims.slice(1)] };
  else {
    const session = await ortNode.InferenceSession.create(entry.file);
    const meta = session.inputMetadata?.[0];
    input = { type: meta?.type ?? "float32", dims: (meta?.shape ?? []).map((d) => (typeof d === "number" ? d : 1)) };
    await session.release?.();
  }
  try {
    const u8 = await quantizedFile(dir, entry.file, new qkit.OrtQdqQuantizer({ activationType: "uint8", perChannel: true }), `${entry.name}_u8s8.onnx`, input);
    const s8 = await quantizedFile(dir, entry.file, new qkit.XnnpackQuantizer(), `${entry.name}_s8s8.onnx`, input);
    MODELS.push({ name: entry.name, dims: input.dims.slice(1), u8, s8, batches: [1], type: input.type });
  } catch (error) {
    SKIPPED.push([entry.name, `not quantized: ${why(error)}`]);
  }
}

const ceilingBefore = ceiling();
const loadBefore = os.loadavg()[0];
const rows = [];
for (const m of MODELS) {
  for (const batch of m.batches) {
    const dims = [batch, ...m.dims];
    const input = inputOf(m.type, dims, 12345);
    let q1, q2, qs8, webU8, webS8, node;
    try {
      q1 = await qkit.createSession(m.u8, { threads: 1 });
      q2 = await qkit.createSession(m.u8, { threads: 2 });
      qs8 = await qkit.createSession(m.s8, { threads: 1 });
      webU8 = await ortWeb.InferenceSession.create(new Uint8Array(readFileSync(m.u8)), { executionProviders: ["wasm"] });
      webS8 = await ortWeb.InferenceSession.create(new Uint8Array(readFileSync(m.s8)), { executionProviders: ["wasm"] });
      node = await ortNode.InferenceSession.create(m.u8, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    } catch (error) {
      SKIPPED.push([m.name, `cannot open: ${why(error)}`]);
      continue;
    }
    const qFeed = (s) => ({ [s.inputNames[0]]: new qkit.Tensor(m.type, input, dims) });
    const oFeed = (s, ort) => ({ [s.inputNames[0]]: new ort.Tensor(m.type, input, dims) });
    const { report } = qkit.lowerWithReport(await qkit.loadModel(m.u8));
    const loweredShare = `${report.lowered}/${report.nodes.length}`;
    let t;
    try {
      t = await measure({
      "qkit u8 1t": () => q1.run(qFeed(q1)),
      "qkit u8 2t": () => q2.run(qFeed(q2)),
      "qkit s8 1t": () => qs8.run(qFeed(qs8)),
      "ORT-web u8": () => webU8.run(oFeed(webU8, ortWeb)),
      "ORT-web s8": () => webS8.run(oFeed(webS8, ortWeb)),
      "ORT-node u8": () => node.run(oFeed(node, ortNode)),
    }, batch === 1 ? SAMPLES_BS1 : SAMPLES_BS32);
    } catch (error) {
      SKIPPED.push([m.name, `cannot run: ${why(error)}`]);
      continue;
    }
    const memoryMiB = q1.kernels.memory.buffer.byteLength / 2 ** 20;
    for (const s of [q1, q2, qs8]) await s.release();
    for (const s of [webU8, webS8, node]) await s.release?.();
    rows.push({ name: m.name, batch, t, memoryMiB, loweredShare });
    console.error(`measured ${m.name} bs${batch}`);
  }
}

console.log("\nint8 latency, median ms (QDQ models; qkit lowered to integer kernels; ORT 1 thread each)\n");
console.log("| model | batch | ops lowered (u8) | qkit u8 1t | qkit u8 2t | qkit s8 1t | ORT-web u8s8 | ORT-web s8s8 | ORT-node u8s8 | qkit 1t / ORT-web u8s8 | qkit s8 / ORT-web s8s8 | 2t speedup | qkit memory MiB |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const { name, batch, t, memoryMiB, loweredShare } of rows) {
  console.log(`| ${name} | ${batch} | ${loweredShare} | ${fmt(t["qkit u8 1t"])} | ${fmt(t["qkit u8 2t"])} | ${fmt(t["qkit s8 1t"])} | ${fmt(t["ORT-web u8"])} | ` +
    `${fmt(t["ORT-web s8"])} | ${fmt(t["ORT-node u8"])} | ${(t["qkit u8 1t"] / t["ORT-web u8"]).toFixed(2)} | ` +
    `${(t["qkit s8 1t"] / t["ORT-web s8"]).toFixed(2)} | ${(t["qkit u8 1t"] / t["qkit u8 2t"]).toFixed(2)}× | ${memoryMiB.toFixed(0)} |`);
}
for (const [name, reason] of SKIPPED) console.log(`| ${name} | | ${reason} | | | | | | | | | | |`);
const bs1 = rows.filter((r) => r.batch === 1);
if (bs1.length) {
  const u8 = bs1.map((r) => r.t["qkit u8 1t"] / r.t["ORT-web u8"]);
  const s8 = bs1.map((r) => r.t["qkit s8 1t"] / r.t["ORT-web s8"]);
  const resnet = bs1.find((r) => r.name === "resnet18_op13");
  const over = bs1.filter((r, i) => u8[i] > 0.6).map((r) => r.name);
  console.log(`\nbatch 1, 1 thread, qkit / ORT-web: geomean ${geomean(u8).toFixed(2)}× (u8s8), ${geomean(s8).toFixed(2)}× (s8s8) over ${bs1.length} models` +
    ` (target ≤ 0.40×); every model ≤ 0.60×: ${over.length ? `no (${over.join(", ")})` : "yes"}` +
    (resnet ? `; ResNet-18 ${(resnet.t["qkit u8 1t"] / resnet.t["ORT-web u8"]).toFixed(2)}× (target ≤ 0.55×)` : "") + ".");
}

const after = ceiling();
const peak = Math.max(after, ceilingBefore);
console.log(`\nResNet-18's 3×3 convolutions (uint8 activations, int8 per-channel weights, batch 1, 1 thread). int8 ceiling ` +
  `${peak.toFixed(1)} GOPS (dot_i16x8 probe, best of before/after: ${ceilingBefore.toFixed(1)} / ${after.toFixed(1)}).\n`);
console.log("qkit runs these convolutions by exact integer Winograd F(2×2, 3×3): effective GOPS count the direct convolution's");
console.log("operations, executed GOPS the 16/36 of them Winograd performs (the share of the ceiling the kernel itself reaches).\n");
console.log("| conv | qkit ms | qkit effective GOPS | effective / ceiling | qkit executed GOPS | executed / ceiling | ORT-web ms | ORT-web GOPS |");
console.log("|---|---|---|---|---|---|---|---|");
for (const [C, H] of [[64, 56], [128, 28], [256, 14], [512, 7]]) {
  const bytes = qconvModel(C, H);
  const q = await qkit.createSession(bytes, { threads: 1 });
  const web = await ortWeb.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  const x = new Uint8Array(C * H * H).map((_, i) => (i * 31) & 255);
  const t = await measure({
    qkit: () => q.run({ x: new qkit.Tensor("uint8", x, [1, C, H, H]) }),
    web: () => web.run({ x: new ortWeb.Tensor("uint8", x, [1, C, H, H]) }),
  }, 15);
  await q.release();
  const ops = 2 * C * C * 9 * H * H;
  const g = ops / t.qkit / 1e6;
  const executed = (g * 16) / 36;
  console.log(`| ${C}→${C} ${H}×${H} | ${fmt(t.qkit)} | ${g.toFixed(1)} | ${((100 * g) / peak).toFixed(0)}% | ${executed.toFixed(1)} | ` +
    `${((100 * executed) / peak).toFixed(0)}% | ${fmt(t.web)} | ${(ops / t.web / 1e6).toFixed(1)} |`);
}
console.log(`\nprocess peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (all engines together); ` +
  `load average (1 min) before / after: ${loadBefore.toFixed(2)} / ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} cores.`);
rmSync(dir, { recursive: true, force: true });
process.exit(0);
