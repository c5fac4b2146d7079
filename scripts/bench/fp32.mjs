// `npm run bench -- fp32 [--quick] [--samples N]`: the qkit engine (1 and 2 threads) against onnxruntime-web's wasm
// backend and onnxruntime-node (1 thread each), same inputs, same process, samples interleaved. Prints median
// latencies, the ratio qkit / ORT-web, the 2-thread speedup, and the GFLOPS of ResNet-18's largest 3×3
// convolutions as a share of the fp32 ceiling measured here with the kernels' own multiply-add probe.
// Targets: ResNet-18 bs1 1 thread ≤ 0.55× ORT-web; 2 threads ≥ 1.8× faster than 1; big convs ≥ 75% of the ceiling.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import * as os from "node:os";
import { fmtMs as fmt, loadEngines, measure, median, randomInput, root } from "../bench-support.mjs";

const require = createRequire(import.meta.url);
const { qkit, ortWeb, ortNode } = loadEngines();
const { onnx } = qkit;
const kernelModule = require(path.join(root, "runtime", "dist", "src", "engine", "kernels", "module.js"));

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const samplesArg = args.indexOf("--samples");
const SAMPLES_BS1 = samplesArg >= 0 ? Number(args[samplesArg + 1]) : 9;
const SAMPLES_BS32 = samplesArg >= 0 ? Math.max(1, Math.ceil(Number(args[samplesArg + 1]) / 3)) : 3;
const shared = process.env.QKIT_SHARED_MODELS ?? path.join(root, "..", "shared", "models");
const MODELS = [
  ["ResNet-18", path.join(shared, "resnet18_op13.onnx"), [3, 224, 224]],
  ["MobileNet-V2", path.join(shared, "mobilenet_v2_op13.onnx"), [3, 224, 224]],
  ["Fashion-MNIST CNN", path.join(root, "examples", "fmnist_cnn_op13.onnx"), [1, 28, 28]],
];
const BATCHES = quick ? [1] : [1, 32];


/** One runnable per engine: () => Promise<void>, with its session set up for the given model and batch. */
async function runners(file, dims) {
  const bytes = new Uint8Array(readFileSync(file));
  const input = randomInput(dims.reduce((a, b) => a * b, 1));
  const q1 = await qkit.createSession(file, { threads: 1 });
  const q2 = await qkit.createSession(file, { threads: 2 });
  const web = await ortWeb.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  const node = await ortNode.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const qFeed = (s) => ({ [s.inputNames[0]]: new qkit.Tensor("float32", input, dims) });
  return {
    engines: {
      "qkit 1t": () => q1.run(qFeed(q1)),
      "qkit 2t": () => q2.run(qFeed(q2)),
      "ORT-web": () => web.run({ [web.inputNames[0]]: new ortWeb.Tensor("float32", input, dims) }),
      "ORT-node": () => node.run({ [node.inputNames[0]]: new ortNode.Tensor("float32", input, dims) }),
    },
    info: q1.info,
    async close() { await q1.release(); await q2.release(); await web.release?.(); await node.release?.(); },
  };
}

/** GFLOPS of f32x4 multiply-adds on registers: the ceiling for these kernels on this machine and engine. */
function ceiling() {
  const { module, variant } = kernelModule.kernelModule("auto");
  const memory = new WebAssembly.Memory({ initial: 2, maximum: kernelModule.MAX_PAGES, shared: true });
  const k = kernelModule.instantiate(module, memory);
  const iterations = 2_000_000;
  k.peak_flops(iterations, 0.5);
  const runs = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    k.peak_flops(iterations, 0.5);
    runs.push(performance.now() - t);
  }
  return { variant, gflops: (iterations * 128) / median(runs) / 1e6 };
}

/** A model with one 3×3 convolution (stride 1, pad 1, C→C channels on H×W), as ONNX bytes. */
function convModel(C, H) {
  const weights = randomInput(C * C * 9);
  const info = (name, dims) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  const ints = (name, v) => ({ name, type: 7, ints: v });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 13 }],
    graph: {
      name: "conv",
      node: [{ opType: "Conv", input: ["x", "w"], output: ["y"], name: "conv", attribute: [ints("pads", [1, 1, 1, 1]), ints("kernel_shape", [3, 3])] }],
      initializer: [{ name: "w", dataType: 1, dims: [C, C, 3, 3], rawData: new Uint8Array(weights.buffer) }],
      input: [info("x", [1, C, H, H])],
      output: [info("y", [1, C, H, H])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

// The ceiling is a physical limit: measured before and after the runs, the higher value is the one undisturbed by
// whatever else the machine was doing.
const ceilingBefore = ceiling();
const loadBefore = os.loadavg()[0];
const rows = [];
for (const [name, file] of MODELS) {
  if (!existsSync(file)) { console.log(`${name}: skipped, ${file} not found (set QKIT_SHARED_MODELS)`); continue; }
  for (const batch of BATCHES) {
    const dims = [batch, ...MODELS.find((m) => m[0] === name)[2]];
    const r = await runners(file, dims);
    const t = await measure(r.engines, batch === 1 ? SAMPLES_BS1 : SAMPLES_BS32);
    await r.close();
    rows.push({ name, batch, t, kernels: r.info.kernels });
    console.error(`measured ${name} bs${batch}`);
  }
}

console.log(`\nfp32 latency, median ms (qkit kernels: ${rows[0]?.kernels ?? "?"}; ORT 1 thread each)\n`);
console.log("| model | batch | qkit 1t | qkit 2t | ORT-web | ORT-node | qkit 1t / ORT-web | qkit 2t / ORT-web | 2t speedup |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const { name, batch, t } of rows) {
  console.log(`| ${name} | ${batch} | ${fmt(t["qkit 1t"])} | ${fmt(t["qkit 2t"])} | ${fmt(t["ORT-web"])} | ${fmt(t["ORT-node"])} | ` +
    `${(t["qkit 1t"] / t["ORT-web"]).toFixed(2)} | ${(t["qkit 2t"] / t["ORT-web"]).toFixed(2)} | ${(t["qkit 1t"] / t["qkit 2t"]).toFixed(2)}× |`);
}

const after = ceiling();
const peak = after.gflops > ceilingBefore.gflops ? after : ceilingBefore;
console.log(`\nResNet-18's largest 3×3 convolutions (231 MFLOP each as direct convolutions, batch 1, 1 thread)`);
console.log(`fp32 ceiling ${peak.gflops.toFixed(1)} GFLOPS (${peak.variant} multiply-add probe, best of before/after: ` +
  `${ceilingBefore.gflops.toFixed(1)} / ${after.gflops.toFixed(1)}). qkit runs these convolutions with Winograd F(2×2, 3×3):`);
console.log("effective GFLOPS count the direct convolution's 231 MFLOP; executed GFLOPS the 4/9 of them Winograd performs.\n");
console.log("| conv | qkit ms | qkit effective GFLOPS | effective / ceiling | qkit executed GFLOPS | executed / ceiling | ORT-web ms | ORT-web GFLOPS |");
console.log("|---|---|---|---|---|---|---|---|");
for (const [C, H] of [[64, 56], [128, 28], [256, 14], [512, 7]]) {
  const bytes = convModel(C, H);
  const q = await qkit.createSession(bytes, { threads: 1 });
  const web = await ortWeb.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  const input = randomInput(C * H * H);
  const t = await measure({
    qkit: () => q.run({ x: new qkit.Tensor("float32", input, [1, C, H, H]) }),
    web: () => web.run({ x: new ortWeb.Tensor("float32", input, [1, C, H, H]) }),
  }, 15);
  await q.release();
  const flops = 2 * C * C * 9 * H * H;
  const g = flops / t.qkit / 1e6;
  const executed = (g * 4) / 9;
  console.log(`| ${C}→${C} ${H}×${H} | ${fmt(t.qkit)} | ${g.toFixed(1)} | ${((100 * g) / peak.gflops).toFixed(0)}% | ` +
    `${executed.toFixed(1)} | ${((100 * executed) / peak.gflops).toFixed(0)}% | ${fmt(t.web)} | ${(flops / t.web / 1e6).toFixed(1)} |`);
}
console.log(`\nload average (1 min) before / after: ${loadBefore.toFixed(2)} / ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} cores ` +
  "(this benchmark's own 2-thread runs count too); other busy processes make the 2-thread numbers meaningless.");
process.exit(0);
