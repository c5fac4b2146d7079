import { onnx, dataTypeCode, type DataType } from "../../src/tooling.js";

/** Small ONNX models built in the tests themselves, with onnx-proto. */

export function valueInfo(name: string, type: DataType, dims: (number | string)[]): onnx.ValueInfoProto {
  return new onnx.ValueInfoProto({
    name,
    type: {
      tensorType: {
        elemType: dataTypeCode(type),
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

export function node(opType: string, inputs: string[], outputs: string[], attributes: onnx.IAttributeProto[] = [], name = ""): onnx.NodeProto {
  return new onnx.NodeProto({ opType, input: inputs, output: outputs, attribute: attributes, name: name || `${opType}_${outputs[0]}` });
}

export function modelBytes(graph: onnx.IGraphProto, options: { irVersion?: number; opset?: number } = {}): Uint8Array {
  const model = new onnx.ModelProto({
    irVersion: options.irVersion ?? 8,
    opsetImport: [{ domain: "", version: options.opset ?? 17 }],
    producerName: "qkit-tests",
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Deterministic test values in [lo, hi) from a seed (a linear congruential sequence: the same on every machine). */
export function seededValues(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return lo + (s / 2 ** 31) * (hi - lo);
  });
}
