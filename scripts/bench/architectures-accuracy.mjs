// `npm run bench -- architectures-accuracy [--only a,b]`: the families of `bench -- architectures` (seeded weights,
// scripts/architectures/) quantized by each built-in (calibrated on one seeded input): check's errors, then
// the export run by qkit's integer kernels and by onnxruntime-node, each output's SQNR against the float model's
// output in onnxruntime-node (with its graph optimizations, and without: a fused integer kernel of its that computes
// differently shows as the two apart), and qkit's largest difference to onnxruntime-node on the same file, relative
// to its scale. The corpus's target, applied here: qkit's SQNR ≥ onnxruntime-node's on the same file − 0.3 dB.
import { loadEngines, markdownTable, loadAverage } from "../bench-support.mjs";
import { architectureModels, feedsFor } from "../architectures/index.mjs";
import { BUILTINS } from "../bench-corpus.mjs";

const { qkit, ortNode } = loadEngines();
const args = process.argv.slice(2);
const only = args.includes("--only") ? args[args.indexOf("--only") + 1].split(",") : undefined;
const sqnr = (ref, x) => {
  let s = 0;
  let n = 0;
  for (let i = 0; i < ref.length; i++) { s += ref[i] ** 2; n += (ref[i] - x[i]) ** 2; }
  return n === 0 ? Infinity : 10 * Math.log10(s / n);
};
const ortRun = async (bytes, m, graphOptimizationLevel = "all") => {
  const session = await ortNode.InferenceSession.create(bytes, { graphOptimizationLevel });
  return (await session.run(feedsFor(m, ortNode.Tensor)))[session.outputNames[0]].data;
};

const loadBefore = loadAverage();
const rows = [];
let met = 0;
let total = 0;
let ortAgrees = 0;
for (const m of architectureModels(qkit.onnx)) {
  if (only && !only.includes(m.name)) continue;
  const float = await ortRun(m.bytes, m);
  for (const builtin of BUILTINS) {
    total++;
    try {
      const model = await qkit.loadModel(m.bytes);
      const { quantizer } = qkit.loadQuantizer(builtin);
      const errors = qkit.runCheck(model, quantizer).findings.filter((f) => f.severity === "error");
      if (errors.length) { rows.push([m.name, builtin, `${errors.length} errors: ${errors[0].code}`, "", "", "", "", ""]); continue; }
      const prepared = qkit.prepare(model, quantizer);
      await qkit.calibrate(prepared, [feedsFor(m, qkit.Tensor)]);
      const bytes = qkit.serializeModel(qkit.convert(prepared));
      const fromOrt = await ortRun(bytes, m);
      // ONNX Runtime's graph optimizations fuse Q/DQ groups into its own integer kernels; where one of those computes
      // differently (QLinearSoftmax's overflow), its optimized run departs from its unoptimized run of the same file.
      const unoptimized = sqnr(float, await ortRun(bytes, m, "disabled"));
      const session = await qkit.createSession(bytes);
      const got = (await session.run(feedsFor(m, qkit.Tensor)))[session.outputNames[0]].data;
      await session.release();
      let diff = 0;
      let scale = 1e-12;
      for (let i = 0; i < got.length; i++) { diff = Math.max(diff, Math.abs(got[i] - fromOrt[i])); scale = Math.max(scale, Math.abs(fromOrt[i])); }
      const [q, o] = [sqnr(float, got), sqnr(float, fromOrt)];
      const ok = q >= o - 0.3;
      if (ok) met++;
      if (Math.abs(o - unoptimized) <= 1) ortAgrees++;
      rows.push([m.name, builtin, "clean", q.toFixed(1), o.toFixed(1), unoptimized.toFixed(1), ok ? "yes" : "no", (diff / scale).toExponential(1)]);
    } catch (error) {
      rows.push([m.name, builtin, `failed: ${String(error.message ?? error).split("\n")[0].slice(0, 100)}`, "", "", "", "", ""]);
    }
  }
}
console.log("\nArchitectures outside the corpus, quantized by each built-in (seeded weights and calibration input)\n");
console.log(markdownTable(["model", "built-in", "check", "SQNR qkit int8 (dB)", "SQNR ORT-node (dB)", "ORT-node unoptimized (dB)", "≥ ORT − 0.3 dB", "max |qkit − ORT| / scale"], rows));
console.log(`\n${met} of ${total} runs meet qkit SQNR ≥ onnxruntime-node's − 0.3 dB; in ${ortAgrees} of ${total} ONNX Runtime's optimized run is within 1 dB of its unoptimized one; load average (1 min) before / after: ${loadBefore} / ${loadAverage()}`);
