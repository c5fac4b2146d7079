import { onnx } from "../onnx/proto.js";
import { tensorAttribute } from "../onnx/attributes.js";
import { dataTypeCode } from "../onnx/data-type.js";
import type { Graph } from "./graph.js";
import type { Node } from "./node.js";

/** protobufjs writes every field an object owns, so empty strings are left out to keep files as they were. */
export function withoutEmpty<T extends object>(fields: T): T {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== "" && v !== undefined)) as T;
}

/** A ValueInfoProto for a node's value from its inferred dtype and shape. */
export function valueInfoFromMeta(name: string, node: Node): onnx.ValueInfoProto {
  const info = new onnx.ValueInfoProto({ name });
  if (node.meta.dtype) {
    info.type = new onnx.TypeProto({
      tensorType: new onnx.TypeProto.Tensor({
        elemType: dataTypeCode(node.meta.dtype),
        ...(node.meta.shape
          ? { shape: new onnx.TensorShapeProto({ dim: node.meta.shape.map((d) => (typeof d === "number" ? { dimValue: d } : d.startsWith("?") ? {} : { dimParam: d })) }) }
          : {}),
      }),
    });
  }
  return info;
}

/** The GraphProto of the IR: the inverse of graphFromOnnx (folded Constant nodes are written back as Constant nodes). */
export function graphToOnnx(graph: Graph): onnx.GraphProto {
  const proto = new onnx.GraphProto(withoutEmpty({
    name: graph.name,
    docString: graph.docString,
    sparseInitializer: graph.passthrough.sparseInitializer,
    quantizationAnnotation: graph.passthrough.quantizationAnnotation,
  }));
  for (const node of graph.nodes) {
    switch (node.kind) {
      case "placeholder":
        proto.input.push(node.meta.valueInfo ?? valueInfoFromMeta(node.valueName, node));
        break;
      case "parameter":
        if (node.meta.origin === "constant") {
          proto.node.push(new onnx.NodeProto({
            name: typeof node.meta.constantNodeName === "string" ? node.meta.constantNodeName : node.name,
            opType: "Constant",
            output: [node.valueName],
            attribute: [tensorAttribute("value", node.tensor!)],
          }));
        } else {
          proto.initializer.push(node.tensor!);
          if (node.meta.origin === "input-initializer") proto.input.push(node.meta.valueInfo ?? valueInfoFromMeta(node.valueName, node));
          else if (node.meta.valueInfo) proto.valueInfo.push(node.meta.valueInfo);
        }
        break;
      case "call":
        proto.node.push(new onnx.NodeProto(withoutEmpty({
          name: node.name,
          opType: node.opType,
          domain: node.domain,
          input: node.args.map((a) => (a ? a.valueName : "")),
          output: node.outputNames,
          attribute: [...node.attributes.values()],
          docString: node.docString,
        })));
        if (!node.isMultiOutput && node.meta.valueInfo && !graph.outputs.includes(node)) proto.valueInfo.push(node.meta.valueInfo);
        break;
      case "getitem":
        if (node.meta.valueInfo && !graph.outputs.includes(node)) proto.valueInfo.push(node.meta.valueInfo);
        break;
      case "output": {
        const declared = new Map<string, onnx.IValueInfoProto>();
        for (const info of (node.meta.outputValueInfos as onnx.IValueInfoProto[] | undefined) ?? []) declared.set(info.name ?? "", info);
        for (const out of graph.outputs) proto.output.push(declared.get(out.valueName) ?? valueInfoFromMeta(out.valueName, out));
        break;
      }
    }
  }
  return proto;
}
