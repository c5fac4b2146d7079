import { test } from "node:test";
import assert from "node:assert/strict";
import { loadModel, prepare, calibrate, convert, lowerWithReport, OrtQdqQuantizer, XnnpackQuantizer, makeTensor, Tensor, type Quantizer } from "../src/tooling.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";
import { compareLowered } from "./int8-compare.js";

/** Token ids → an embedding table (quantized weight-only) → a Linear: the Gather's output is quantized for the Linear. */
function embeddingModel(D: number): Uint8Array {
  const V = 50;
  return modelBytes({
    name: "embedding",
    input: [valueInfo("ids", "int64", [2, 7])],
    output: [valueInfo("y", "float32", [2, 7, 8])],
    initializer: [
      makeTensor("table", "float32", [V, D], Float32Array.from({ length: V * D }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 5)))),
      makeTensor("w", "float32", [D, 8], Float32Array.from({ length: D * 8 }, (_, i) => Math.cos(i * 1.3) / 3)),
    ],
    node: [
      node("Gather", ["table", "ids"], ["e"], [], "embed"),
      node("MatMul", ["e", "w"], ["y"], [], "linear"),
    ],
  });
}

// Rows of 24 bytes are copied byte by byte, rows of 40 as blocks.
for (const width of [24, 40]) for (const [name, quantizer] of [["ort-qdq (uint8)", () => new OrtQdqQuantizer({ activationType: "uint8", perChannel: true })], ["xnnpack (int8)", () => new XnnpackQuantizer()]] as const) {
  test(`an embedding Gather (width ${width}) quantized weight-only by ${name} runs on bytes from a requantized table, the reference's codes exactly`, async () => {
    const model = await loadModel(embeddingModel(width), { name: "embedding.onnx" });
    const prepared = prepare(model, (quantizer as () => Quantizer)());
    const ids = new Tensor("int64", BigInt64Array.from({ length: 14 }, (_, i) => BigInt((i * 17) % 50)), [2, 7]);
    await calibrate(prepared, [{ ids }]);
    const converted = convert(prepared);
    const gather = converted.graph.node("embed")!;
    assert.equal(gather.args[0]!.opType, "DequantizeLinear", "the table is dequantized in the Q/DQ model");
    const { report, model: lowered } = lowerWithReport(converted);
    assert.match(report.nodes.find((n) => n.name === "embed")!.loweredAs ?? "", /^Gather on u?int8$/);
    assert.equal(lowered.graph.calls("QuantizeLinear").length, 0, "the Gather's QuantizeLinear is gone");
    const other = { ids: new Tensor("int64", BigInt64Array.from({ length: 14 }, (_, i) => BigInt((i * 7 + 3) % 50)), [2, 7]) };
    const diffs = await compareLowered(converted, other);
    const embed = diffs.find((d) => d.name === "embed")!;
    assert.ok(embed, diffs.map((d) => d.name).join(", "));
    assert.equal(embed.mismatches, 0, `${embed.mismatches} of ${embed.elements} codes differ`);
  });
}
