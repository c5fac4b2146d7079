// `npm run bench -- accuracy [--only a,b] [--no-fmnist]`: two tables.
// 1. The corpus (every model of ../shared/models and ../shared/zoo) × each built-in (xnnpack, x86, ort-qdq): does
//    `check` come out clean, does the exported QDQ file run in onnxruntime-node, and the SQNR against the fp32
//    reference output of qkit's int8 execution (the file lowered to integer operators) and of onnxruntime-node's on
//    the same file, calibrated and evaluated on the manifest's reference input. Target: qkit ≥ ORT − 0.3 dB. A model a
//    built-in cannot quantize yet is a row that says why.
// 2. Fashion-MNIST CNN top-1, fp32 against int8, for the tutorial quantizer and each
// built-in: calibrated on the 512 shipped images, evaluated on the 10k test set (Debian's dataset-fashion-mnist) or
// the 1000 shipped test images, executed by qkit (the QDQ model on qkit's engine) and by onnxruntime-node on the
// exported file; "qkit int8 kernels" runs the QDQ model lowered to integer operators, which must score what the
// reference Q/DQ execution scores. Target: the best built-in ≥ 0.918.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import { markdownTable, loadAverage } from "../bench-support.mjs";
import { BUILTINS, checkSummary, corpusModels, evaluationBatches, quantizeToFile, referenceFor, sqnrOver, why } from "../bench-corpus.mjs";

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "..");
const qkit = require(path.join(root, "runtime", "dist", "src", "tooling.js"));
const ort = require("onnxruntime-node");

const example = path.join(root, "examples", "fashion-mnist");
const debian = "/usr/share/datasets/fashion-mnist";
const full = existsSync(path.join(debian, "t10k-images-idx3-ubyte.gz"));
const images = full ? path.join(debian, "t10k-images-idx3-ubyte.gz") : path.join(example, "test-images-idx3-ubyte.gz");
const labelsFile = full ? path.join(debian, "t10k-labels-idx1-ubyte.gz") : path.join(example, "test-labels-idx1-ubyte.gz");
const normalize = { mean: [0.286], std: [0.353] };

const args = process.argv.slice(2);
const only = args.includes("--only") ? args[args.indexOf("--only") + 1].split(",") : undefined;

/** Table 1: the corpus × the built-ins. */
async function corpusTable() {
  const dir = mkdtempSync(path.join(tmpdir(), "qkit-accuracy-corpus-"));
  const rows = [];
  let met = 0;
  let measured = 0;
  const fmt = (db) => (Number.isFinite(db) ? db.toFixed(2) : String(db));
  try {
    for (const entry of corpusModels(only)) {
      if (entry.skip) {
        rows.push([entry.name, "", entry.skip, "", "", "", "", ""]);
        continue;
      }
      let reference;
      let model;
      let batches;
      try {
        reference = await referenceFor(entry, ort);
        model = await qkit.loadModel(entry.file);
        batches = await evaluationBatches(entry, reference, ort);
      } catch (error) {
        rows.push([entry.name, "", `cannot load: ${why(error)}`, "", "", "", "", ""]);
        continue;
      }
      const inputName = qkit.modelInputs(model.graph)[0].name;
      const feeds = { [inputName]: new qkit.Tensor(reference.type, reference.input, reference.dims) };
      for (const builtin of BUILTINS) {
        const row = [entry.name, builtin];
        let check;
        try {
          check = checkSummary(qkit, model, builtin).text;
        } catch (error) {
          check = `check failed: ${why(error)}`;
        }
        row.push(check);
        const file = path.join(dir, `${entry.name}.${builtin}.onnx`);
        try {
          await quantizeToFile(qkit, model, builtin, feeds, file);
        } catch (error) {
          rows.push([...row, `not quantized: ${why(error)}`, "", "", "", "", ""]);
          continue;
        }
        let ortDb;
        let ortUnoptimizedDb;
        let ortRuns;
        try {
          // With ONNX Runtime's graph optimizations (its fused integer kernels), and without them: the two part where a
          // fused kernel computes differently.
          const ortSqnr = async (graphOptimizationLevel) => {
            const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, graphOptimizationLevel });
            const outs = [];
            for (const batch of batches) {
              const out = await session.run({ [session.inputNames[0]]: new ort.Tensor(reference.type, batch.input, reference.dims) });
              outs.push(out[session.outputNames[0]].data);
            }
            await session.release?.();
            return sqnrOver(outs, batches.map((b) => b.output));
          };
          ortDb = await ortSqnr("all");
          ortUnoptimizedDb = await ortSqnr("disabled");
          ortRuns = "yes";
        } catch (error) {
          ortRuns = `no: ${why(error)}`;
        }
        let qkitDb;
        let qkitText;
        try {
          const session = await qkit.createSession(file, { threads: 1 });
          const outs = [];
          for (const batch of batches) {
            const out = await session.run({ [inputName]: new qkit.Tensor(reference.type, batch.input, reference.dims) });
            outs.push(out[session.outputNames[0]].data);
          }
          qkitDb = sqnrOver(outs, batches.map((b) => b.output));
          qkitText = fmt(qkitDb);
          await session.release();
        } catch (error) {
          qkitText = `fails: ${why(error)}`;
        }
        const delta = qkitDb !== undefined && ortDb !== undefined ? qkitDb - ortDb : undefined;
        const ok = delta !== undefined && (delta >= -0.3 || (qkitDb === Infinity && ortDb === Infinity));
        if (delta !== undefined) {
          measured++;
          if (ok) met++;
        }
        rows.push([...row, ortRuns, qkitText, ortDb === undefined ? "" : fmt(ortDb), ortUnoptimizedDb === undefined ? "" : fmt(ortUnoptimizedDb),
          delta === undefined ? "" : delta.toFixed(2), delta === undefined ? "" : ok ? "yes" : "no"]);
        console.error(`accuracy: ${entry.name} ${builtin} done (${batches.length} batches)`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log("Corpus: each built-in's QDQ export, calibrated on the manifest's reference input; SQNR (dB) against the fp32 output (onnxruntime-node) over");
  console.log("the reference input and, where that input is seeded noise (torch.randn, token ids), 3 more batches drawn the same way.");
  console.log(markdownTable(["model", "built-in", "check", "runs in onnxruntime-node", "qkit int8 SQNR", "onnxruntime-node SQNR", "ORT-node unoptimized", "qkit − ORT", "≥ ORT − 0.3 dB"], rows));
  console.log(`\n${met} of ${measured} measured rows meet the target (qkit ≥ ORT − 0.3 dB); load average ${loadAverage()}.\n`);
}

await corpusTable();
if (args.includes("--no-fmnist")) process.exit(0);

const model = await qkit.loadModel(path.join(root, "examples", "fmnist_cnn_op13.onnx"));
const labels = await qkit.readLabels(labelsFile);
const data = (m) => qkit.openData(images, qkit.modelInputs(m.graph), { batchSize: 250, normalize });

async function ortAccuracy(file) {
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
  let correct = 0;
  let index = 0;
  for await (const batch of data(model)) {
    const x = batch.input;
    const logits = (await session.run({ input: new ort.Tensor("float32", x.data, [...x.dims]) })).logits.data;
    for (let i = 0; i < x.dims[0]; i++, index++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (logits[i * 10 + c] > logits[i * 10 + best]) best = c;
      if (best === labels[index]) correct++;
    }
  }
  return correct / index;
}

const dir = mkdtempSync(path.join(tmpdir(), "qkit-accuracy-"));
const rows = [];
try {
  const fp32 = (await qkit.evaluateAccuracy(model, data(model), labels)).accuracy;
  rows.push(["fp32", "", fp32.toFixed(4), "", (await ortAccuracy(path.join(root, "examples", "fmnist_cnn_op13.onnx"))).toFixed(4)]);
  const quantizers = [
    ["tutorial (examples/fashion-mnist)", path.join(root, "examples", "fashion-mnist", "tutorial-quantizer.ts")],
    ["xnnpack", "xnnpack"],
    ["x86", "x86"],
    ["ort-qdq", "ort-qdq"],
  ];
  for (const [name, source] of quantizers) {
    const prepared = qkit.prepare(model, qkit.loadQuantizer(source).quantizer);
    await qkit.calibrate(prepared, qkit.openData(path.join(example, "calibration-images-idx3-ubyte.gz"), qkit.modelInputs(model.graph), { batchSize: 16, normalize }));
    const converted = qkit.convert(prepared);
    const file = path.join(dir, `${name.split(" ")[0]}.onnx`);
    await qkit.exportOnnx(converted, file);
    const reference = (await qkit.evaluateAccuracy(converted, data(converted), labels, { session: { lowering: false } })).accuracy;
    const kernels = (await qkit.evaluateAccuracy(converted, data(converted), labels)).accuracy;
    rows.push([`int8 ${name}`, `${prepared.groups.length} observers`, reference.toFixed(4), kernels.toFixed(4), (await ortAccuracy(file)).toFixed(4)]);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const header = ["model", "", "qkit", "qkit int8 kernels", "onnxruntime-node"];
console.log(`Fashion-MNIST top-1 on ${labels.length === 10000 && full ? "the 10k test set" : `${labels.length} shipped test images`}; int8 = QDQ export calibrated on 512 images`);
console.log(markdownTable(header, rows));
console.log("\nAnchors (shared reference, same model, 10k test set): PyTorch 1.13 FX static PTQ on 512 images: int8 onednn 0.9172 (HistogramObserver), 0.9186 (MinMax); qnnpack per-tensor 0.9179; ONNX Runtime u8s8 QDQ 0.9175.");
console.log("qkit = the QDQ model run by qkit's engine as it is (reference Q/DQ execution, float kernels); qkit int8 kernels = the same model lowered to integer operators (the default for Q/DQ models).");
