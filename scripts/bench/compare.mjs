// `npm run bench -- compare --with DIR [--fp32] [--threads N] [--only a,b] [--samples N]`: this tree's qkit against
// another built checkout of qkit (DIR, after its own `npm run build`) and onnxruntime-web (wasm, 1 thread), all three in
// one process, samples interleaved, on every model of the corpus: int8 (each model quantized once by this tree's
// ort-qdq, uint8 activations, and the same QDQ file run by all three) or, with --fp32, the float files. Separate bench
// runs of two trees differ by more than a change is worth on a machine whose speed drifts (ratios to onnxruntime-web
// moved by ±0.07 between runs of one tree); interleaving the two builds in one process cancels the drift. Prints
// medians, each tree's ratio to onnxruntime-web and this tree's time over the other's, with their geometric means.
// With --threads N (N > 1) both trees also run N threads, interleaved with their 1-thread sessions: the N-thread times
// are compared, and each tree's speedup is its 1-thread over its N-thread median of the same samples, so the machine's
// load at the moment weighs on both trees' speedups alike.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { corpusModels, referenceFor, why } from "../bench-corpus.mjs";
import { fmtMs, geomean, loadAverage, loadEngines, markdownTable, measure } from "../bench-support.mjs";

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const otherRoot = option("--with");
const fp32 = args.includes("--fp32");
const only = option("--only")?.split(",");
const samples = Number(option("--samples") ?? 15);
const threads = Number(option("--threads") ?? 1);
const otherTooling = otherRoot && path.resolve(otherRoot, "runtime", "dist", "src", "tooling.js");
if (!otherTooling || !existsSync(otherTooling)) {
  console.error(`usage: npm run bench -- compare --with DIR [--fp32] [--threads N] [--only a,b] [--samples N]; DIR is another qkit checkout built with npm run build${otherTooling ? ` (${otherTooling} not found)` : ""}`);
  process.exit(2);
}
if (!Number.isInteger(threads) || threads < 1) {
  console.error(`--threads takes a whole number of threads, at least 1 (got ${option("--threads")})`);
  process.exit(2);
}
const threaded = threads > 1;
const { qkit, ortWeb, ortNode } = loadEngines();
const other = require(otherTooling);
const dir = mkdtempSync(path.join(os.tmpdir(), "qkit-compare-"));
const loadBefore = loadAverage();
const rows = [];
const header = threaded
  ? ["model", "this 1t", "other 1t", "ORT-web", "this 1t / ORT-web", "other 1t / ORT-web", `this ${threads}t`, `other ${threads}t`, `this ${threads}t speedup`, `other ${threads}t speedup`, `this ${threads}t / other ${threads}t`]
  : ["model", "this", "other", "ORT-web", "this / ORT-web", "other / ORT-web", "this / other"];
const blanks = header.slice(2).map(() => "");
const thisOverOther = [];
const ratios = { this: [], other: [] };
const speedups = { this: [], other: [] };
try {
  for (const entry of corpusModels(only)) {
    if (entry.skip) { rows.push([entry.name, ...blanks, `skipped: ${entry.skip}`]); continue; }
    let sessions;
    try {
      const reference = await referenceFor(entry, ortNode);
      const dims = [1, ...reference.dims.slice(1)];
      const input = reference.input.slice(0, dims.reduce((a, b) => a * b, 1));
      let file = entry.file;
      if (!fp32) {
        const model = await qkit.loadModel(entry.file);
        const prepared = qkit.prepare(model, new qkit.OrtQdqQuantizer({ activationType: "uint8", perChannel: true }));
        await qkit.calibrate(prepared, [{ [qkit.modelInputs(model.graph)[0].name]: new qkit.Tensor(reference.type, input, dims) }]);
        file = path.join(dir, `${entry.name}.qdq.onnx`);
        await qkit.exportOnnx(qkit.convert(prepared), file);
      }
      sessions = {
        this: await qkit.createSession(file, { threads: 1 }),
        other: await other.createSession(file, { threads: 1 }),
        web: await ortWeb.InferenceSession.create(file, { executionProviders: ["wasm"] }),
        ...(threaded ? {
          thisN: await qkit.createSession(file, { threads }),
          otherN: await other.createSession(file, { threads }),
        } : {}),
      };
      const run = (session, engine) => () => session.run({ [session.inputNames[0]]: new engine.Tensor(reference.type, input, dims) });
      const t = await measure({
        this: run(sessions.this, qkit),
        other: run(sessions.other, other),
        web: run(sessions.web, ortWeb),
        ...(threaded ? { thisN: run(sessions.thisN, qkit), otherN: run(sessions.otherN, other) } : {}),
      }, samples);
      ratios.this.push(t.this / t.web);
      ratios.other.push(t.other / t.web);
      if (threaded) {
        speedups.this.push(t.this / t.thisN);
        speedups.other.push(t.other / t.otherN);
        thisOverOther.push(t.thisN / t.otherN);
        rows.push([entry.name, fmtMs(t.this), fmtMs(t.other), fmtMs(t.web), `${(t.this / t.web).toFixed(3)}×`, `${(t.other / t.web).toFixed(3)}×`,
          fmtMs(t.thisN), fmtMs(t.otherN), `${(t.this / t.thisN).toFixed(2)}×`, `${(t.other / t.otherN).toFixed(2)}×`, `${(t.thisN / t.otherN).toFixed(3)}×`]);
      } else {
        thisOverOther.push(t.this / t.other);
        rows.push([entry.name, fmtMs(t.this), fmtMs(t.other), fmtMs(t.web), `${(t.this / t.web).toFixed(3)}×`, `${(t.other / t.web).toFixed(3)}×`, `${(t.this / t.other).toFixed(3)}×`]);
      }
      console.error(`measured ${entry.name}`);
    } catch (error) {
      rows.push([entry.name, ...blanks, `cannot run: ${why(error)}`]);
    } finally {
      for (const s of Object.values(sessions ?? {})) await s.release?.();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const bold = (xs, digits) => `**${geomean(xs).toFixed(digits)}×**`;
if (thisOverOther.length) {
  const name = `**geomean** (${thisOverOther.length} models)`;
  rows.push(threaded
    ? [name, "", "", "", bold(ratios.this, 3), bold(ratios.other, 3), "", "", bold(speedups.this, 2), bold(speedups.other, 2), bold(thisOverOther, 3)]
    : [name, "", "", "", bold(ratios.this, 3), bold(ratios.other, 3), bold(thisOverOther, 3)]);
}
const threadsText = threaded ? `1 and ${threads} threads (ORT-web 1)` : "1 thread";
console.log(`\n${fp32 ? "fp32" : "int8 (ort-qdq, uint8 activations)"}, batch 1, ${threadsText}, median ms of ${samples} interleaved samples; "this" is this checkout, "other" the one given by --with\n`);
console.log(markdownTable(header, rows));
console.log(`\nload average (1 min) before / after: ${loadBefore} / ${loadAverage()}`);
