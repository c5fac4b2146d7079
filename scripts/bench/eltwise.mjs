// `npm run bench -- eltwise [--base DIR] [--samples N]`: elementwise operators and the models made of them. One-op
// models (activations, decomposed SiLU/HardSwish/GELU, a squeeze-excite broadcast Mul) and the zoo models that use
// them (MobileNet-V3-Small, the ViTs), qkit against onnxruntime-web's wasm backend (1 thread each, same inputs,
// samples interleaved, medians). With --base, a second qkit checkout's runtime (its runtime/dist built) runs in the
// same interleaving, so the table shows this tree's speedup over it measured side by side.
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import * as os from "node:os";
import { measure, randomInput } from "../bench-support.mjs";

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const qkit = require(path.join(root, "runtime", "dist", "src", "tooling.js"));
const { onnx } = qkit;
const ortWeb = require("onnxruntime-web");

const args = process.argv.slice(2);
const baseArg = args.indexOf("--base");
const base = baseArg >= 0 ? require(path.join(path.resolve(args[baseArg + 1]), "runtime", "dist", "src", "tooling.js")) : undefined;
const samplesArg = args.indexOf("--samples");
const SAMPLES = samplesArg >= 0 ? Number(args[samplesArg + 1]) : 15;
const zoo = process.env.QKIT_SHARED_ZOO ?? path.join(root, "..", "shared", "zoo");
ortWeb.env.wasm.numThreads = 1;
ortWeb.env.logLevel = "error";

const info = (name, dims) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
const scalar = (name, v) => ({ name, dataType: 1, dims: [], rawData: new Uint8Array(Float32Array.of(v).buffer) });

/** A model of `nodes` on input x (dims) with output y; `extra` inputs are fed random values too. */
function model(nodes, dims, extra = {}, opset = 17) {
  const m = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: opset }],
    graph: {
      name: "g",
      node: nodes.map(([opType, input, output, attribute = []], i) => ({ opType, input, output, name: `n${i}`, attribute })),
      initializer: [scalar("half", 0.5), scalar("one", 1), scalar("sqrt2", Math.SQRT2)],
      input: [info("x", dims), ...Object.entries(extra).map(([n, d]) => info(n, d))],
      output: [info("y", dims)],
    },
  });
  return { bytes: onnx.ModelProto.encode(m).finish(), feeds: { x: dims, ...extra } };
}

const ACT = [1, 64, 56, 56];
const OPS = [
  ["Sigmoid", model([["Sigmoid", ["x"], ["y"]]], ACT)],
  ["Tanh", model([["Tanh", ["x"], ["y"]]], ACT)],
  ["Erf", model([["Erf", ["x"], ["y"]]], ACT)],
  ["Exp", model([["Exp", ["x"], ["y"]]], ACT)],
  ["SiLU (Sigmoid·Mul)", model([["Sigmoid", ["x"], ["s"]], ["Mul", ["x", "s"], ["y"]]], ACT)],
  ["HardSwish (HardSigmoid·Mul)", model([["HardSigmoid", ["x"], ["h"], [{ name: "alpha", type: 1, f: 1 / 6 }]], ["Mul", ["x", "h"], ["y"]]], ACT)],
  ["GELU (Div·Erf·Add·Mul·Mul)", model([["Div", ["x", "sqrt2"], ["d"]], ["Erf", ["d"], ["e"]], ["Add", ["e", "one"], ["p"]], ["Mul", ["x", "p"], ["m"]],
    ["Mul", ["m", "half"], ["y"]]], [1, 197, 768])],
  ["SE Mul [1,64,56,56]×[1,64,1,1]", model([["Mul", ["x", "s"], ["y"]]], ACT, { s: [1, 64, 1, 1] })],
  ["Add [1,197,768]+[768]", model([["Add", ["x", "b"], ["y"]]], [1, 197, 768], { b: [768] })],
];

function zooModel(name) {
  const manifest = JSON.parse(readFileSync(path.join(zoo, "manifest.json"), "utf8"));
  const e = manifest.models[name];
  const dims = e.reference.input_shape.map((d, i) => (i === 0 ? 1 : d));
  return { bytes: new Uint8Array(readFileSync(path.join(zoo, e.file))), feeds: { [e.inputs[0].name]: dims } };
}

async function runners({ bytes, feeds }) {
  const inputs = Object.fromEntries(Object.entries(feeds).map(([n, d], i) => [n, { data: randomInput(d.reduce((a, b) => a * b, 1), 7 + i), dims: d }]));
  const q = await qkit.createSession(bytes, { threads: 1 });
  const b = base ? await base.createSession(bytes, { threads: 1 }) : undefined;
  const web = await ortWeb.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  const feed = (T) => Object.fromEntries(Object.entries(inputs).map(([n, v]) => [n, new T("float32", v.data, v.dims)]));
  const engines = { qkit: () => q.run(feed(qkit.Tensor)) };
  if (b) engines.base = () => b.run(feed(base.Tensor));
  engines.web = () => web.run(feed(ortWeb.Tensor));
  return { engines, async close() { await q.release(); await b?.release(); await web.release?.(); } };
}

// One-op cases take well under a millisecond: four times the samples, so a busy machine's stalls fall outside the median.
const cases = OPS.map(([name, m]) => [name, m, 4 * SAMPLES]);
for (const name of ["mobilenet_v3_small", "vit_tiny", "fmnist_vit"]) {
  if (existsSync(path.join(zoo, "manifest.json"))) cases.push([`${name} (bs1)`, zooModel(name), SAMPLES]);
  else console.log(`${name}: skipped, ${zoo}/manifest.json not found (set QKIT_SHARED_ZOO)`);
}
const loadBefore = os.loadavg();
const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const rows = [];
for (const [name, m, samples] of cases) {
  const r = await runners(m);
  // A few untimed rounds first: memory growth and tier-up land there, not on whichever case comes first.
  await measure(r.engines, 3);
  const t = await measure(r.engines, samples);
  await r.close();
  rows.push([name, t]);
  console.error(`measured ${name}`);
}
const loadAfter = os.loadavg();
console.log(`\nelementwise latency, median ms of interleaved samples (${4 * SAMPLES} per one-op case, ${SAMPLES} per model), 1 thread each`);
console.log(`load average before ${loadBefore.map((l) => l.toFixed(2)).join(", ")}; after ${loadAfter.map((l) => l.toFixed(2)).join(", ")}\n`);
console.log(`| case | qkit |${base ? " base |" : ""} ORT-web | qkit / ORT-web |${base ? " base / ORT-web | base / qkit |" : ""}`);
console.log(`|---|---|${base ? "---|" : ""}---|---|${base ? "---|---|" : ""}`);
for (const [name, t] of rows) {
  const cells = [name, fmt(t.qkit), ...(base ? [fmt(t.base)] : []), fmt(t.web), (t.qkit / t.web).toFixed(2)];
  if (base) cells.push((t.base / t.web).toFixed(2), `${(t.base / t.qkit).toFixed(2)}×`);
  console.log(`| ${cells.join(" | ")} |`);
}
