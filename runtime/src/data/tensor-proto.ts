import { onnx } from "../onnx/proto.js";
import { tensorDataType, tensorDims, tensorValues } from "../onnx/tensor-data.js";
import { Tensor, type TensorType } from "../engine/tensor.js";
import { DataError } from "./data-error.js";

/** Reads a serialized ONNX TensorProto (.pb), as the ONNX test suite stores inputs and outputs. */
export function parseTensorProto(bytes: Uint8Array, file: string): { name: string; tensor: Tensor } {
  let proto: onnx.TensorProto;
  try {
    proto = onnx.TensorProto.decode(bytes);
  } catch (error) {
    throw new DataError(file, `is not a serialized ONNX TensorProto: ${(error as Error).message}`, { cause: error });
  }
  const type = tensorDataType(proto);
  const values = tensorValues(proto);
  if (type === "bfloat16" || type.startsWith("float8") || type === "int4" || type === "uint4" || type.startsWith("complex")) {
    throw new DataError(file, `holds ${type} values, which qkit's runtime does not take as input`);
  }
  return { name: proto.name ?? "", tensor: new Tensor(type as TensorType, values as never, tensorDims(proto)) };
}
