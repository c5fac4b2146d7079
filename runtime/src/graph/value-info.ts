import type { onnx } from "../onnx/proto.js";
import { toNumber } from "../onnx/proto.js";
import { dataTypeFromCode, type DataType } from "../onnx/data-type.js";
import type { Dim } from "./node.js";
import type { Graph } from "./graph.js";

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

/** The element types a graph's outputs declare, by value name (value infos without one are left out). */
export function declaredOutputTypes(graph: Graph): Map<string, DataType> {
  const types = new Map<string, DataType>();
  for (const info of (graph.outputNode.meta.outputValueInfos as onnx.IValueInfoProto[] | undefined) ?? []) {
    const { dtype } = typeFromValueInfo(info);
    if (dtype !== undefined) types.set(info.name ?? "", dtype);
  }
  return types;
}

/**
 * A one-line description of the first graph output whose declared element type is not the one computed for it
 * (`computed`: its producer's), or undefined. ONNX Runtime refuses such a file.
 */
export function mistypedOutput(name: string, declared: DataType | undefined, computed: DataType | undefined, producer: string): string | undefined {
  if (declared === undefined || computed === undefined || declared === computed) return undefined;
  return `graph output '${name}' is declared ${declared}, but ${producer} computes ${computed}: correct the output's type in the model (ONNX Runtime refuses this file too)`;
}

/** How a finding names the producer of a graph output: its node and operator, or the input or initializer. */
export function producerName(node: { kind: string; name: string; opType: string }): string {
  return node.kind === "call" ? `node '${node.name}' (${node.opType})` : `${node.kind} '${node.name}'`;
}
