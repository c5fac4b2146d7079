import type { onnx } from "../onnx/proto.js";
import { toNumber } from "../onnx/proto.js";
import { dataTypeFromCode, type DataType } from "../onnx/data-type.js";
import type { Dim } from "./node.js";

/** Element type and shape declared by a ValueInfoProto (tensor types only). */
export function typeFromValueInfo(info: onnx.IValueInfoProto | undefined): { dtype?: DataType; shape?: Dim[] } {
  const tensorType = info?.type?.tensorType;
  if (!tensorType) return {};
  const dtype = dataTypeFromCode(tensorType.elemType ?? 0);
  const shape = tensorType.shape
    ? (tensorType.shape.dim ?? []).map((d, i): Dim => {
        // `value` is the oneof's discriminator on decoded messages; plain objects have only the field they set.
        const which = (d as { value?: string }).value ?? (d.dimParam ? "dimParam" : d.dimValue != null ? "dimValue" : undefined);
        if (which === "dimParam" && d.dimParam) return d.dimParam;
        if (which === "dimValue") return toNumber(d.dimValue);
        return `?${i}`;
      })
    : undefined;
  return { ...(dtype ? { dtype } : {}), ...(shape ? { shape } : {}) };
}
