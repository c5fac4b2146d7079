import { test } from "node:test";
import assert from "node:assert/strict";
import {
  loadModel, runCheck, prepare, calibrate, convert, createSession, annotationOf, isSpec, makeTensor, serializeModel, BUILTIN_QUANTIZERS,
  loadQuantizer, Tensor,
} from "../src/tooling.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";
import { computedScalesModel } from "./helpers/computed-scales.js";

for (const name of Object.keys(BUILTIN_QUANTIZERS)) {
  test(`${name} quantizes only the data input of a Resize and a Clip whose other inputs are computed`, async () => {
    const model = await loadModel(computedScalesModel(), { name: "computed-scales.onnx" });
    const { findings, model: annotated } = runCheck(model, loadQuantizer(name).quantizer);
    assert.deepEqual(findings.filter((f) => f.severity === "error"), []);
    for (const op of ["Resize", "Clip"]) {
      const user = annotated.graph.calls(op)[0]!;
      const edges = [...(annotationOf(user)?.inputQspecMap ?? [])].filter(([, spec]) => isSpec(spec)).map(([input]) => input.name);
      assert.deepEqual(edges.filter((e) => e !== user.args[0]!.name), [], `${op}: only its data input is quantized, not ${edges.join(", ")}`);
    }

    for (const op of ["Cast", "Div", "Mul", "Neg"]) {
      const computed = annotated.graph.calls(op)[0]!;
      assert.equal(computed.isShapeOperand, op !== "Neg", `${op}'s value ${op === "Neg" ? "is a Clip bound" : "only decides the Resize's scales"}`);
      const annotation = annotationOf(computed);
      const quantized = [...(annotation?.inputQspecMap ?? [])].some(([, spec]) => isSpec(spec)) || isSpec(annotation?.outputQspec);
      assert.equal(quantized, false, `nothing of ${op} is quantized`);
    }
    assert.equal(annotated.graph.calls("Conv")[0]!.isShapeOperand, false, "the Conv's value is also the Resize's data");

    const prepared = prepare(model, loadQuantizer(name).quantizer);
    const x = new Tensor("float32", Float32Array.from({ length: 32 }, (_, i) => Math.sin(i)), [1, 2, 4, 4]);
    await calibrate(prepared, [{ x }]);
    const qdq = await loadModel(serializeModel(convert(prepared)));
    for (const lowering of [false, true]) {
      const session = await createSession(qdq, { lowering });
      try {
        const { y } = await session.run({ x });
        assert.deepEqual(y!.dims, [1, 3, 8, 8]);
      } finally {
        await session.release();
      }
    }
  });
}

/** An upsampling whose scales are a model input: a plan of the int8 model specializes on their value, as the float one does. */
function scalesInputModel(): Uint8Array {
  return modelBytes({
    name: "scales-input",
    input: [valueInfo("x", "float32", [1, 2, 4, 4]), valueInfo("scales", "float32", [4])],
    output: [valueInfo("y", "float32", [1, 3, "h", "w"])],
    initializer: [
      makeTensor("w", "float32", [3, 2, 1, 1], Float32Array.of(0.5, -0.25, 1, 0.75, -1, 0.125)),
      makeTensor("b", "float32", [3], Float32Array.of(0.1, 0.2, 0.3)),
    ],
    node: [
      node("Conv", ["x", "w", "b"], ["conv"], [{ name: "kernel_shape", type: 7, ints: [1, 1] }]),
      node("Resize", ["conv", "", "scales"], ["y"], [{ name: "mode", type: 3, s: new TextEncoder().encode("linear") }]),
    ],
  }, { opset: 13 });
}

for (const name of Object.keys(BUILTIN_QUANTIZERS)) {
  test(`${name}: a linear Resize whose scales are a model input runs on int8 kernels as its Q/DQ model does`, async () => {
    const model = await loadModel(scalesInputModel(), { name: "scales-input.onnx" });
    const prepared = prepare(model, loadQuantizer(name).quantizer);
    const x = new Tensor("float32", Float32Array.from({ length: 32 }, (_, i) => Math.sin(i)), [1, 2, 4, 4]);
    const scales = new Tensor("float32", Float32Array.of(1, 1, 2, 1.5), [4]);
    await calibrate(prepared, [{ x, scales }]);
    const qdq = await loadModel(serializeModel(convert(prepared)));
    const outputs = [];
    for (const lowering of [false, true]) {
      const session = await createSession(qdq, { lowering });
      try {
        outputs.push((await session.run({ x, scales })).y!);
      } finally {
        await session.release();
      }
    }
    const [reference, int8] = outputs as [Tensor, Tensor];
    assert.deepEqual(int8.dims, [1, 3, 8, 6]);
    const worst = Math.max(...Array.from(int8.data as Float32Array, (v, i) => Math.abs(v - (reference.data as Float32Array)[i]!)));
    assert.ok(worst < 0.05, `int8 kernels within a few steps of the Q/DQ model (max difference ${worst})`);
  });
}
