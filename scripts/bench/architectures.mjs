// `npm run bench -- architectures [--only a,b] [--samples N] [--int8]`: families outside the corpus, built with seeded
// weights (scripts/architectures/index.mjs lists them: vision, sequence, and older exporters' and whole pipelines'
// models), on the qkit engine (1 thread) against onnxruntime-web's wasm backend (1 thread), samples interleaved,
// medians; every output's max |diff| to onnxruntime-node, relative to its scale where that exceeds 1; the geometric mean
// last. Where qkit is slow, `--profile NAME` prints its op-type table and its slowest nodes.
// --int8: each model quantized by ort-qdq (uint8 activations, per-channel weights; calibrated on its seeded feeds) and
// the same QDQ file run by qkit's integer kernels and onnxruntime-web; "diff" is then qkit's output against
// onnxruntime-node's on that file, relative to its scale as above.
import { fmtMs, geomean, loadAverage, loadEngines, markdownTable, measure } from "../bench-support.mjs";
import { architectureModels, feedsFor } from "../architectures/index.mjs";

const { qkit, ortWeb, ortNode } = loadEngines();
const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const only = option("--only")?.split(",");
const samples = Number(option("--samples") ?? 9);
const profile = option("--profile");
const int8 = args.includes("--int8");

/** The model quantized by ort-qdq, calibrated on its seeded feeds: the QDQ file's bytes. */
async function quantized(m) {
  const model = await qkit.loadModel(m.bytes);
  const prepared = qkit.prepare(model, new qkit.OrtQdqQuantizer({ activationType: "uint8", perChannel: true }));
  await qkit.calibrate(prepared, [feedsFor(m, qkit.Tensor)]);
  return qkit.serializeModel(qkit.convert(prepared));
}

const loadBefore = loadAverage();
const rows = [];
const ratios = [];
for (const m of architectureModels(qkit.onnx)) {
  if (only && !only.includes(m.name)) continue;
  try {
    if (int8) m.bytes = await quantized(m);
    const node = await ortNode.InferenceSession.create(m.bytes);
    const references = await node.run(feedsFor(m, ortNode.Tensor));
    const q = await qkit.createSession(m.bytes, { threads: 1 });
    const web = await ortWeb.InferenceSession.create(m.bytes, { executionProviders: ["wasm"] });
    const outputs = await q.run(feedsFor(m, qkit.Tensor));
    // Every output (a decoder's logits and its present keys and values), each relative to its own scale.
    let worst = 0;
    for (const name of node.outputNames) {
      const [reference, got] = [references[name].data, outputs[name].data];
      if (got.length !== reference.length) throw new Error(`${name}: ${got.length} elements, onnxruntime-node ${reference.length}`);
      let diff = 0;
      let scale = 1;
      for (let i = 0; i < reference.length; i++) {
        diff = Math.max(diff, Math.abs(got[i] - reference[i]));
        scale = Math.max(scale, Math.abs(reference[i]));
      }
      worst = Math.max(worst, diff / scale);
    }
    // The feeds are made once per engine: making them per run (seeded values for a decoder's cache, a megabyte) timed
    // the generator in both columns and drew every ratio toward 1.
    const [qkitFeeds, webFeeds] = [feedsFor(m, qkit.Tensor), feedsFor(m, ortWeb.Tensor)];
    const t = await measure({
      qkit: () => q.run(qkitFeeds),
      "ORT-web": () => web.run(webFeeds),
    }, samples);
    if (profile === m.name) {
      for (let i = 0; i < 10; i++) await q.run(qkitFeeds, { profile: true });
      const summary = qkit.summarizeProfile(q.endProfiling());
      console.log(`\n${m.name}: ${(summary.nodeUsPerRun / 1000).toFixed(2)} ms of node time per run`);
      for (const r of summary.byOpType.slice(0, 12)) console.log(`  ${r.name.padEnd(22)} ${String(r.nodes).padStart(4)} nodes ${(r.usPerRun / 1000).toFixed(3).padStart(8)} ms ${r.percent.toFixed(1).padStart(5)}%`);
      console.log("  slowest nodes:");
      for (const r of summary.byNode.slice(0, 8)) console.log(`  ${r.name.padEnd(40)} ${r.opType.padEnd(22)} ${(r.usPerRun / 1000).toFixed(3).padStart(8)} ms ${JSON.stringify(r.outputShape ?? [])}`);
    }
    await q.release();
    await web.release?.();
    const ratio = t.qkit / t["ORT-web"];
    ratios.push(ratio);
    rows.push([m.name, fmtMs(t.qkit), fmtMs(t["ORT-web"]), `${ratio.toFixed(2)}×`, worst.toExponential(1)]);
  } catch (error) {
    rows.push([m.name, "", "", `cannot run: ${String(error.message ?? error).split("\n")[0].slice(0, 120)}`, ""]);
  }
}
console.log(`\nArchitectures outside the corpus${int8 ? ", int8 (the same ort-qdq QDQ file in each engine)" : ""} (seeded weights, batch 1, 1 thread each, median ms)\n`);
console.log(markdownTable(["model", "qkit", "ORT-web", "qkit / ORT-web", "max |diff| to ORT-node"], rows));
if (ratios.length) console.log(`\ngeomean qkit / ORT-web over ${ratios.length} models: ${geomean(ratios).toFixed(2)}×`);
console.log(`load average (1 min) before / after: ${loadBefore} / ${loadAverage()}`);
