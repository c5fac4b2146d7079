// `npm run bench -- zoo [--only a,b] [--samples N] [--quick]`: every model of the corpus (the manifest.json of
// ../shared/models and ../shared/zoo, or QKIT_SHARED_MODELS / QKIT_SHARED_ZOO) on the qkit engine (1 and 2 threads)
// against onnxruntime-web's wasm backend (1 thread), same file, batch 1, samples interleaved, medians. Accuracy: qkit's
// output on the manifest's reference input against onnxruntime-node's reference output (or, for a model without one,
// onnxruntime-node run here on a seeded input), as max |diff| / max(1, max |reference|). A model that is absent or that
// an engine cannot run is a row with the reason; the geometric means come last.
// Targets: every model ≤ 1.0× ORT-web at 1 thread, geomean ≤ 0.60×; 2-thread speedup geomean ≥ 1.5×; diff ≤ 1e-4.
import { readFileSync } from "node:fs";
import { fmtMs, geomean, loadAverage, loadEngines, markdownTable, measure } from "../bench-support.mjs";
import { corpusModels, referenceFor } from "../bench-corpus.mjs";

const { qkit, ortWeb, ortNode } = loadEngines();

const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const only = option("--only")?.split(",");
const fixedSamples = option("--samples") === undefined ? undefined : Number(option("--samples"));
const quick = args.includes("--quick");
/** Without --samples, each model gets about this much measuring (all three engines together), within bounds. */
const BUDGET_MS = quick ? 1500 : 6000;
const MIN_SAMPLES = quick ? 3 : 7;
const MAX_SAMPLES = quick ? 9 : 41;
const TOLERANCE = 1e-4;

/** Item 0 of a batched tensor: what the latency rows run (batch 1). */
function firstItem(data, dims) {
  const per = dims.slice(1).reduce((a, b) => a * b, 1);
  return { data: data.slice(0, per), dims: [1, ...dims.slice(1)] };
}

/** Max |qkit − reference| over the output, divided by the reference's scale where that exceeds 1. */
function difference(actual, expected) {
  if (actual.length !== expected.length) return { text: `size ${actual.length} ≠ ${expected.length}`, ok: false };
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  if (Number.isNaN(diff) || actual.some((x) => Number.isNaN(x))) return { text: "NaN", ok: false };
  const relative = diff / scale;
  return { text: relative.toExponential(1), ok: relative <= TOLERANCE };
}

async function benchModel(entry) {
  const ref = await referenceFor(entry, ortNode);
  const q1 = await qkit.createSession(entry.file, { threads: 1 });
  variant = q1.info.kernels;
  try {
    const inputName = q1.inputNames[0];
    const full = await q1.run({ [inputName]: new qkit.Tensor(ref.type, ref.input, ref.dims) });
    const diff = difference(full[q1.outputNames[0]].data, ref.output);
    const item = firstItem(ref.input, ref.dims);
    const q2 = await qkit.createSession(entry.file, { threads: 2 });
    const web = await ortWeb.InferenceSession.create(new Uint8Array(readFileSync(entry.file)), { executionProviders: ["wasm"] });
    const engines = {
      "qkit 1t": () => q1.run({ [inputName]: new qkit.Tensor(ref.type, item.data, item.dims) }),
      "qkit 2t": () => q2.run({ [inputName]: new qkit.Tensor(ref.type, item.data, item.dims) }),
      "ORT-web": () => web.run({ [web.inputNames[0]]: new ortWeb.Tensor(ref.type, item.data, item.dims) }),
    };
    let samples = fixedSamples;
    if (samples === undefined) {
      const once = await measure(engines, 1);
      const round = Object.values(once).reduce((a, b) => a + b, 0);
      samples = Math.max(MIN_SAMPLES, Math.min(MAX_SAMPLES, Math.round(BUDGET_MS / round))) | 1;
    }
    const t = await measure(engines, samples);
    await q2.release();
    await web.release?.();
    return { t, samples, diff, source: ref.source };
  } finally {
    await q1.release();
  }
}

let variant = "?";
const loadBefore = loadAverage();
const rows = [];
const ratios = [];
const speedups = [];
for (const entry of corpusModels(only)) {
  if (entry.skip) {
    rows.push([entry.name, "–", "–", "–", "–", "–", `skipped: ${entry.skip}`]);
    continue;
  }
  try {
    const { t, samples, diff, source } = await benchModel(entry);
    const ratio = t["qkit 1t"] / t["ORT-web"];
    const speedup = t["qkit 1t"] / t["qkit 2t"];
    ratios.push(ratio);
    speedups.push(speedup);
    rows.push([entry.name, fmtMs(t["qkit 1t"]), fmtMs(t["qkit 2t"]), fmtMs(t["ORT-web"]), `${ratio.toFixed(2)}×`,
      `${speedup.toFixed(2)}×`, `${diff.text}${diff.ok ? "" : " ✗"} (${samples} samples${source === "stored" ? "" : `, reference: ${source}`})`]);
    console.error(`measured ${entry.name}`);
  } catch (error) {
    const reason = String(error?.message ?? error).split("\n")[0];
    rows.push([entry.name, "–", "–", "–", "–", "–", `skipped: ${reason}`]);
    console.error(`skipped ${entry.name}: ${reason}`);
  }
}
if (ratios.length > 0) {
  rows.push([`**geomean** (${ratios.length} models)`, "", "", "", `**${geomean(ratios).toFixed(2)}×**`, `**${geomean(speedups).toFixed(2)}×**`, ""]);
}

console.log(`\nfp32 zoo, batch 1, median ms (qkit ${variant} kernels, 1 and 2 threads; ORT-web wasm 1 thread), ` +
  `diff = max |qkit − ORT-node| / max(1, max |ORT-node|) on the reference input (✗ above ${TOLERANCE})\n`);
console.log(markdownTable(["model", "qkit 1t", "qkit 2t", "ORT-web", "qkit 1t / ORT-web", "2t speedup", "diff"], rows));
console.log(`\nload average (1 min) before / after: ${loadBefore} / ${loadAverage()} (this benchmark's own 2-thread runs count too)`);
process.exit(0);
