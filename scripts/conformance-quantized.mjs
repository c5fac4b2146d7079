// npm run conformance:quantized [-- FILTER]: every model of the ONNX backend test suite that the engine runs,
// quantized by each built-in quantizer (calibrated on the test's own input), converted and run three ways: qkit's
// float Q/DQ reference, qkit's int8 kernels, and onnxruntime-node on the exported file. Prints one line per problem
// and the totals; exit code 1 when anything crashed (an error that is not a one-line qkit error). A mismatch is for a
// person to read: a value computed by two runtimes in a different order can land on the other side of a rounding
// boundary, and a graph that subtracts two quantized means (an expanded LayerNorm's variance) magnifies that step.
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";

const require = createRequire(import.meta.url);
const qkit = require("../runtime/dist/src/tooling.js");
const suite = require("../runtime/dist/test/conformance-suite.js");
const ort = require("onnxruntime-node");

const filter = process.argv.slice(2).find((a) => !a.startsWith("--"));
const root = suite.testDataRoot();
if (!root) {
  console.error("conformance:quantized: no ONNX backend test data; install it with 'apt-get install libonnx-testdata' or set QKIT_ONNX_TESTDATA");
  process.exit(2);
}
/** Relative to the output's largest magnitude: a few quantization steps of an 8-bit output. */
const INT8_TOLERANCE = 0.05;
/** The same Q/DQ file in two runtimes: float rounding may move a value across a rounding boundary, one step. */
const ORT_TOLERANCE = 0.02;

const readTensor = (file) => qkit.onnx.TensorProto.decode(fs.readFileSync(file));
const toTensor = (proto) => new qkit.Tensor(qkit.tensorDataType(proto), qkit.tensorValues(proto), qkit.tensorDims(proto));
const toOrt = (feeds) => Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.type, t.data, [...t.dims])]));

function worst(a, b) {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(Number(a[i]) - Number(b[i]));
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(Number(a[i])));
  }
  return { diff, scale: Math.max(scale, 1e-3) };
}

/**
 * How ONNX Runtime does on the float model: "fails", "differs" (from the suite's expected outputs) or "agrees". It
 * reads opset 7 on: a model of opsets 1–6 is given in the form qkit reads it as (opset 10), which the export keeps.
 */
async function ortOnFloat(dir, feeds) {
  try {
    const model = await qkit.loadModel(path.join(dir, "model.onnx"));
    const session = await ort.InferenceSession.create(model.sourceOpset !== undefined && model.sourceOpset < 7 ? qkit.serializeModel(model) : path.join(dir, "model.onnx"));
    const out = await session.run(toOrt(feeds));
    return session.outputNames.every((name, k) => {
      const file = path.join(dir, "test_data_set_0", `output_${k}.pb`);
      const got = out[name];
      return !fs.existsSync(file) || suite.compare(new qkit.Tensor(got.type, got.data, [...got.dims]), readTensor(file)) === undefined;
    }) ? "agrees" : "differs";
  } catch {
    return "fails";
  }
}

const makers = {
  xnnpack: () => qkit.loadQuantizer("xnnpack").quantizer,
  x86: () => qkit.loadQuantizer("x86").quantizer,
  "ort-qdq": () => qkit.loadQuantizer("ort-qdq").quantizer,
};
const problems = [];
const counts = { models: 0, runs: 0, ok: 0, refused: 0, crashed: 0, mismatch: 0, "ort-limits": 0 };
for (const dir of suite.listTests(root)) {
  if (filter && !new RegExp(filter).test(dir)) continue;
  const name = path.relative(root, dir);
  let feeds;
  try {
    const session = await qkit.createSession(await qkit.loadModel(path.join(dir, "model.onnx")));
    feeds = {};
    session.inputNames.forEach((input, k) => {
      const file = path.join(dir, "test_data_set_0", `input_${k}.pb`);
      if (fs.existsSync(file)) feeds[input] = toTensor(readTensor(file));
    });
    await session.run(feeds);
    await session.release();
  } catch {
    continue; // a model the engine does not run (npm run conformance says why)
  }
  if (!Object.values(feeds).some((t) => t.type === "float32")) continue;
  counts.models++;
  const ortFloat = await ortOnFloat(dir, feeds);
  for (const [quantizerName, make] of Object.entries(makers)) {
    counts.runs++;
    let stage = "check";
    const problem = (kind, detail) => {
      counts[kind]++;
      problems.push(`${kind.padEnd(10)} ${name} (${quantizerName}, ${stage}): ${detail}`);
    };
    try {
      const model = await qkit.loadModel(path.join(dir, "model.onnx"));
      const quantizer = make();
      const error = qkit.runCheck(model, quantizer).findings.find((f) => f.severity === "error");
      if (error) {
        problem("refused", `${error.code}: ${error.message}`);
        continue;
      }
      stage = "calibrate";
      const prepared = qkit.prepare(model, quantizer);
      await qkit.calibrate(prepared, [feeds]);
      stage = "convert";
      const bytes = qkit.serializeModel(qkit.convert(prepared));
      const outputs = [];
      for (const lowering of [false, true]) {
        stage = lowering ? "int8 run" : "reference run";
        const session = await qkit.createSession(bytes, { lowering });
        outputs.push(await session.run(feeds));
        await session.release();
      }
      const [reference, int8] = outputs;
      let bad = false;
      for (const [output, tensor] of Object.entries(reference)) {
        const { diff, scale } = worst(tensor.data, int8[output].data);
        if (diff > INT8_TOLERANCE * scale) {
          bad = true;
          problem("mismatch", `int8 kernels differ from the reference on ${output} by ${diff} (outputs up to ${scale})`);
        }
      }
      stage = "onnxruntime";
      if (ortFloat === "fails") {
        problem("ort-limits", "ONNX Runtime does not run the float model either");
        continue;
      }
      const session = await ort.InferenceSession.create(bytes);
      const fromOrt = await session.run(toOrt(feeds));
      for (const [output, tensor] of Object.entries(reference)) {
        const { diff, scale } = worst(tensor.data, fromOrt[output].data);
        if (diff <= ORT_TOLERANCE * scale) continue;
        bad = true;
        if (ortFloat === "differs") problem("ort-limits", `ONNX Runtime differs from the suite's reference on the float model too (here by ${diff} on ${output})`);
        else problem("mismatch", `ONNX Runtime differs from qkit's reference on ${output} by ${diff} (outputs up to ${scale})`);
      }
      if (!bad) counts.ok++;
    } catch (error) {
      if (error instanceof qkit.QkitError) problem("refused", String(error.message).split("\n")[0]);
      else problem("crashed", `${error?.stack ?? error}`.split("\n").slice(0, 3).join(" | "));
    }
  }
}
for (const line of problems) console.log(line);
console.log(`\n${counts.models} models × 3 built-ins = ${counts.runs} runs: ${counts.ok} ok, ${counts.refused} refused with a qkit error, ${counts.crashed} crashed, ${counts.mismatch} mismatches, ${counts["ort-limits"]} where ONNX Runtime does not run or differs from the suite on the float model`);
process.exit(counts.crashed > 0 ? 1 : 0);
