// `npm run bench -- calibration`: what observing costs. For each model, a plain fp32 forward on qkit's engine against
// a calibration step with the tutorial quantizer (HistogramObserver activations, per-channel MinMax weights): the
// same forward plus every observed activation handed to its observer. Target: ResNet-18 overhead ≤ 15%.
import { existsSync } from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { markdownTable, median, randomInput } from "../bench-support.mjs";

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "..");
const qkit = require(path.join(root, "runtime", "dist", "src", "tooling.js"));
const models = process.env.QKIT_SHARED_MODELS ?? path.join(root, "..", "shared", "models");
const quantizerFile = path.join(root, "examples", "fashion-mnist", "tutorial-quantizer.ts");
const runs = Number(process.env.QKIT_BENCH_RUNS ?? 10);


const cases = [
  ["ResNet-18", path.join(models, "resnet18_op13.onnx"), [1, 3, 224, 224]],
  ["MobileNet-V2", path.join(models, "mobilenet_v2_op13.onnx"), [1, 3, 224, 224]],
  ["Fashion-MNIST CNN", path.join(root, "examples", "fmnist_cnn_op13.onnx"), [32, 1, 28, 28]],
];
const rows = [];
for (const [name, file, dims] of cases) {
  if (!existsSync(file)) {
    console.log(`${name}: skipped, ${file} not found (set QKIT_SHARED_MODELS)`);
    continue;
  }
  const model = await qkit.loadModel(file);
  const input = new qkit.Tensor("float32", randomInput(dims.reduce((a, b) => a * b, 1), 1), dims);
  const session = await qkit.createSession(model);
  for (let i = 0; i < 2; i++) await session.run({ input });
  const forward = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await session.run({ input });
    forward.push(performance.now() - t);
  }
  await session.release();

  const prepared = qkit.prepare(model, qkit.loadQuantizer(quantizerFile).quantizer);
  const step = [];
  await qkit.calibrate(prepared, [{ input }, { input }]);
  await qkit.calibrate(prepared, Array.from({ length: runs }, () => ({ input })), {
    onProgress: (() => {
      let last = performance.now();
      return () => {
        const now = performance.now();
        step.push(now - last);
        last = now;
      };
    })(),
  });
  // The first step includes building the calibration session; it is not part of the per-batch cost.
  step.shift();
  const f = median(forward);
  const c = median(step);
  rows.push([name, dims.join("×"), f.toFixed(1), c.toFixed(1), `${(((c - f) / f) * 100).toFixed(1)}%`, String(prepared.groups.length)]);
}
const header = ["model", "input", "fp32 forward ms", "calibration step ms", "overhead", "observers"];
console.log(markdownTable(header, rows));
console.log(`\nmedians of ${runs} runs, 1 thread; a calibration step = forward with the observed activations as outputs + observe().`);
