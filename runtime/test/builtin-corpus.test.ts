import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { loadModel, runCheck, prepare, calibrate, convert, exportOnnx, loadQuantizer, BUILTIN_QUANTIZERS } from "../src/tooling.js";
import { SHARED_MODELS, SHARED_ROOT, withTempDir } from "./helpers/data.js";
import { qkitFeeds, runOrt, runQkit, sqnr, type Feeds } from "./helpers/ort-run.js";

/** A corpus model with its reference input (raw little-endian, float32 or int64 token ids). */
interface CorpusModel {
  name: string;
  file: string;
  input: string;
  shape: number[];
  int64: boolean;
}

function corpus(): CorpusModel[] {
  const models: CorpusModel[] = [];
  const zoo = path.join(SHARED_ROOT, "zoo", "manifest.json");
  if (existsSync(zoo)) {
    const manifest = JSON.parse(readFileSync(zoo, "utf8")) as { models: Record<string, { file: string; reference: { input: string; input_shape: number[]; input_dtype: string } }> };
    for (const [name, e] of Object.entries(manifest.models)) {
      const at = (f: string) => path.join(path.dirname(zoo), f);
      models.push({ name, file: at(e.file), input: at(e.reference.input), shape: e.reference.input_shape, int64: e.reference.input_dtype === "int64" });
    }
  }
  const shared = path.join(SHARED_MODELS, "manifest.json");
  if (existsSync(shared)) {
    type Entry = { file: string; input: string; io?: { input: string; input_shape: number[] } };
    const entries = Object.entries((JSON.parse(readFileSync(shared, "utf8")) as { models: Record<string, Entry> }).models);
    for (const [name, e] of entries) {
      // A model exported again at another opset shares its twin's reference input (the same input description).
      const io = e.io ?? entries.find(([, other]) => other.io && other.input === e.input)?.[1].io;
      if (io) models.push({ name, file: path.join(SHARED_MODELS, e.file), input: path.join(SHARED_MODELS, io.input), shape: io.input_shape, int64: false });
    }
  }
  return models;
}

function referenceFeeds(m: CorpusModel, inputName: string): Feeds {
  const bytes = readFileSync(m.input);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return { [inputName]: { data: m.int64 ? new BigInt64Array(buffer) : new Float32Array(buffer), dims: m.shape } };
}

const models = corpus();
test("the shared corpus is present", { skip: models.length ? false : `needs ${SHARED_ROOT}/zoo and ${SHARED_MODELS}` }, () => {
  assert.ok(models.length >= 11, models.map((m) => m.name).join(", "));
});

// Every corpus model with every built-in: the check is clean, the model quantizes (calibrated on its reference
// input), and onnxruntime-node runs the export to the values qkit's Q/DQ reference computes from the same graph.
// Rounding flips between the two runtimes cascade in deep random-weight networks, so they agree to 20 dB, not
// exactly; a wrong scale, zero point or weight in the export costs far more. The quantized output must also still
// follow fp32 (8 dB: a random-weight ViT whose residual stream xnnpack quantizes is the worst, at about 10).
for (const m of models) {
  for (const name of Object.keys(BUILTIN_QUANTIZERS)) {
    test(`${name} quantizes ${m.name}: check clean, the export runs in onnxruntime-node as in qkit`, async () => {
      const model = await loadModel(m.file);
      const { findings } = runCheck(model, loadQuantizer(name).quantizer);
      assert.deepEqual(findings.filter((f) => f.severity !== "information").map((f) => `${f.code}: ${f.message}`), []);
      const feeds = referenceFeeds(m, model.graph.placeholders()[0]!.valueName);
      const prepared = prepare(model, loadQuantizer(name).quantizer);
      await calibrate(prepared, [qkitFeeds(feeds)]);
      const converted = convert(prepared);
      await withTempDir(async (dir) => {
        const file = path.join(dir, `${m.name}.${name}.onnx`);
        await exportOnnx(converted, file);
        const ort = await runOrt(file, feeds);
        const reference = await runQkit(converted, feeds, { lowering: false });
        const fp32 = await runQkit(model, feeds);
        assert.equal(ort.length, fp32.length);
        assert.ok(sqnr(reference, ort) >= 20, `ORT against qkit's Q/DQ reference: ${sqnr(reference, ort).toFixed(1)} dB`);
        assert.ok(sqnr(fp32, ort) >= 8, `ORT's int8 against fp32: ${sqnr(fp32, ort).toFixed(1)} dB`);
      });
    });
  }
}
