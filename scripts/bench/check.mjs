// `npm run bench -- check`: how long qkit's checker takes on ResNet-18 with a quantizer that annotates every
// Conv/Add/Relu/Gemm (the tutorial quantizer), once the model is loaded. Target: under 300 ms.
import { existsSync } from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { markdownTable, median, p95 } from "../bench-support.mjs";

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "..");
const qkit = require(path.join(root, "runtime", "dist", "src", "tooling.js"));

const models = process.env.QKIT_SHARED_MODELS ?? path.join(root, "..", "shared", "models");
const quantizerFile = path.join(root, "examples", "fashion-mnist", "tutorial-quantizer.ts");
const cases = [["ResNet-18", "resnet18_op13.onnx"], ["MobileNet-V2", "mobilenet_v2_op13.onnx"], ["Fashion-MNIST CNN", path.join(root, "examples", "fmnist_cnn_op13.onnx")]];


const rows = [];
for (const [name, file] of cases) {
  const modelPath = path.isAbsolute(file) ? file : path.join(models, file);
  if (!existsSync(modelPath)) {
    console.log(`${name}: skipped, ${modelPath} not found (set QKIT_SHARED_MODELS)`);
    continue;
  }
  let t = performance.now();
  const model = await qkit.loadModel(modelPath);
  const loadMs = performance.now() - t;
  t = performance.now();
  const { quantizer } = qkit.loadQuantizer(quantizerFile);
  const compileMs = performance.now() - t;
  const times = [];
  let result;
  for (let i = 0; i < 23; i++) {
    t = performance.now();
    result = qkit.runCheck(model, quantizer);
    if (i >= 3) times.push(performance.now() - t);
  }
  const errors = result.findings.filter((f) => f.severity === "error").length;
  rows.push([name, result.coverage.annotated, loadMs, compileMs, median(times), p95(times), errors]);
}

const header = ["model", "annotated ops", "load ms", "quantizer compile ms", "check median ms", "check p95 ms", "errors"];
const cells = rows.map((r) => [r[0], String(r[1]), ...r.slice(2, 6).map((x) => x.toFixed(1)), String(r[6])]);
console.log(markdownTable(header, cells));
console.log("\ncheck = runCheck(model, quantizer) after the model is loaded: copy the graph, annotate, validate every rule, coverage.");
