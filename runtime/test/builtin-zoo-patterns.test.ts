import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import * as path from "node:path";
import {
  loadModel, runCheck, prepare, calibrate, convert, exportOnnx, loadQuantizer, annotationOf, isSpec, BUILTIN_QUANTIZERS,
  XnnpackQuantizer, getSymmetricQuantizationConfig, Tensor, type Model, type Node,
} from "../src/tooling.js";
import { SHARED_ROOT, withTempDir } from "./helpers/data.js";
import { runOrt, runQkit, sqnr } from "./helpers/ort-run.js";
import { readFileSync } from "node:fs";

const ZOO = path.join(SHARED_ROOT, "zoo", "models");
const zoo = (file: string) => path.join(ZOO, file);
const skip = (...files: string[]) => (files.every((f) => existsSync(zoo(f))) ? false : `needs ${files.join(", ")} from the shared zoo`);

async function annotated(file: string, name: string): Promise<Model> {
  const { findings, model } = runCheck(await loadModel(zoo(file)), loadQuantizer(name).quantizer);
  assert.deepEqual(findings.filter((f) => f.severity !== "information"), []);
  return model;
}

const edge = (node: Node, input: Node | null | undefined) => (input ? annotationOf(node)?.inputQspecMap.get(input) : undefined);
const output = (node: Node) => annotationOf(node)?.outputQspec;

for (const name of Object.keys(BUILTIN_QUANTIZERS)) {
  test(`${name}: LSTM weights are quantized (W and R, as ONNX Runtime does), its activations stay float`, { skip: skip("lstm_kws.onnx") }, async () => {
    const lstms = (await annotated("lstm_kws.onnx", name)).graph.calls("LSTM");
    assert.equal(lstms.length, 2);
    for (const lstm of lstms) {
      assert.ok(isSpec(edge(lstm, lstm.args[1])) && isSpec(edge(lstm, lstm.args[2])), `${lstm.name}: W and R`);
      assert.equal(edge(lstm, lstm.args[0]), undefined, `${lstm.name}: X`);
      assert.equal(output(lstm), undefined);
    }
  });

  test(`${name}: ConvTranspose's weight is quantized along its output channels, Resize keeps its input's qparams`, { skip: skip("unet_small.onnx") }, async () => {
    const graph = (await annotated("unet_small.onnx", name)).graph;
    for (const up of graph.calls("ConvTranspose")) {
      const spec = edge(up, up.args[1]) as { qscheme?: string; chAxis?: number } | undefined;
      assert.ok(isSpec(spec), `${up.name}: weight`);
      if (spec!.qscheme?.startsWith("per_channel")) assert.equal(spec!.chAxis, 1, `${up.name}: axis 1 holds the output channels`);
      assert.ok(isSpec(edge(up, up.args[0])), `${up.name}: input`);
    }
    const [resize] = graph.calls("Resize");
    assert.ok(resize && output(resize) !== undefined && edge(resize, resize.args[0]) !== undefined, "Resize is quantized");
    assert.equal((output(resize!) as { kind?: string }).kind, "shared", "Resize's output shares its input's qparams");
  });

  test(`${name}: HardSwish (x · HardSigmoid(x)) is one quantized op and squeeze-excite's broadcast Mul takes two quantized inputs`, { skip: skip("mobilenet_v3_small.onnx") }, async () => {
    const graph = (await annotated("mobilenet_v3_small.onnx", name)).graph;
    let hardSwish = 0;
    let excite = 0;
    for (const gate of graph.calls("HardSigmoid")) {
      const [mul] = gate.users;
      assert.ok(mul?.opType === "Mul");
      const other = mul.args.find((a) => a !== gate);
      if (other === gate.args[0]) {
        hardSwish++;
        assert.ok(isSpec(output(mul)), `${mul.name}: HardSwish's output`);
        if (name !== "ort-qdq") assert.equal(output(gate), undefined, `${gate.name}: inside HardSwish, float`);
      } else {
        excite++;
        assert.ok(edge(mul, gate) && edge(mul, other), `${mul.name}: the gate and the feature map are quantized`);
        assert.notDeepEqual(gate.meta.shape, other?.meta.shape, `${mul.name} broadcasts`);
      }
    }
    assert.ok(hardSwish > 5 && excite > 5, `${hardSwish} HardSwish, ${excite} squeeze-excite`);
  });
}

test("dynamic quantization of the trained Fashion-MNIST ViT runs in onnxruntime-node and qkit alike", { skip: skip("fmnist_vit.onnx") }, async () => {
  const model = await loadModel(zoo("fmnist_vit.onnx"));
  const bytes = readFileSync(zoo("fmnist_vit.input.bin"));
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const feeds = { input: { data, dims: [data.length / 784, 1, 28, 28] } };
  const prepared = prepare(model, new XnnpackQuantizer(getSymmetricQuantizationConfig({ isPerChannel: true, isDynamic: true })));
  await calibrate(prepared, [{ input: new Tensor("float32", data, feeds.input.dims) }]);
  const converted = convert(prepared);
  assert.ok(converted.graph.calls("MatMulInteger").length >= 16);
  assert.equal(converted.graph.calls("ConvInteger").length, 1, "the patch embedding");
  await withTempDir(async (dir) => {
    await exportOnnx(converted, path.join(dir, "dynamic.onnx"));
    const ort = await runOrt(path.join(dir, "dynamic.onnx"), feeds);
    const mine = await runQkit(converted, feeds);
    const fp32 = await runQkit(model, feeds);
    assert.ok(sqnr(ort, mine) >= 40, `qkit against ORT: ${sqnr(ort, mine).toFixed(1)} dB`);
    assert.ok(sqnr(fp32, mine) >= 35, `dynamic int8 against fp32: ${sqnr(fp32, mine).toFixed(1)} dB`);
  });
});
