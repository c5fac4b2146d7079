import { onnx } from "../onnx/proto.js";
import { attributeValue } from "../onnx/attributes.js";
import { makeTensor, tensorDataType, tensorDims } from "../onnx/tensor-data.js";
import type { Graph } from "./graph.js";
import type { Node } from "./node.js";
import { outerNames, subgraphsOf } from "./subgraph-scope.js";
import { foldBatchNorms } from "./fold-batch-norm.js";

export interface NormalizationReport {
  /** Identity nodes that only forwarded a parameter (torch.onnx routes shared initializers through them). */
  identitiesFolded: number;
  /** Constant nodes turned into parameters (torch.onnx emits Clip bounds and Reshape shapes as Constant nodes). */
  constantsFolded: number;
  /** BatchNormalizations folded into the convolution they follow (see fold-batch-norm). */
  batchNormsFolded: number;
}

/**
 * Remove exporter artefacts so that every constant tensor is a parameter node and quantizers see the operator
 * graph the model author wrote. Saving writes folded Constant nodes back as Constant nodes (see to-onnx).
 */
export function normalizeGraph(graph: Graph): NormalizationReport {
  const report: NormalizationReport = { identitiesFolded: 0, constantsFolded: 0, batchNormsFolded: 0 };
  const outputs = new Set(graph.outputs);
  // Subgraphs read values of this graph by name: those names must stay.
  const readInside = new Set(graph.calls().flatMap((n) => subgraphsOf(n.attributes.values()).flatMap(outerNames)));
  for (const node of graph.nodes) {
    if (node.kind !== "call" || node.domain !== "") continue;
    if (node.opType === "Constant" && node.args.length === 0 && !outputs.has(node) && node.valueName) {
      const tensor = constantTensor(node);
      if (!tensor) continue;
      const param = graph.addParameter(graph.uniqueTensorName(`${node.valueName}#folded`), tensor, { before: node });
      node.replaceAllUsesWith(param);
      graph.eraseNode(node);
      // Take over the Constant's tensor name, so the saved model keeps every name it had.
      retarget(graph, param, node);
      report.constantsFolded++;
    } else if (node.opType === "Identity" && node.args[0]?.kind === "parameter" && !outputs.has(node) && !readInside.has(node.valueName)) {
      node.replaceAllUsesWith(node.args[0]);
      graph.eraseNode(node);
      report.identitiesFolded++;
    }
  }
  // After the Constant folding: a BatchNormalization's statistics may have come as Constant nodes.
  report.batchNormsFolded = foldBatchNorms(graph, readInside);
  graph.lint();
  return report;
}

function retarget(graph: Graph, param: Node, constant: Node): void {
  graph.rename(param, graph.uniqueName(constant.valueName));
  graph.setOutputNames(param, [constant.valueName]);
  param.tensor!.name = constant.valueName;
  param.meta.origin = "constant";
  param.meta.constantNodeName = constant.name;
  param.meta.moduleStack = constant.meta.moduleStack;
  param.meta.dtype = tensorDataType(param.tensor!);
  param.meta.shape = tensorDims(param.tensor!);
}

/** The tensor a Constant node holds, from whichever value_* attribute it uses; undefined for sparse values. */
function constantTensor(node: Node): onnx.ITensorProto | undefined {
  const [attr] = node.attributes.values();
  if (!attr || node.attributes.size !== 1) return undefined;
  const value = attributeValue(attr);
  const name = node.valueName;
  switch (attr.name) {
    case "value": return new onnx.TensorProto({ ...(value as onnx.ITensorProto), name });
    case "value_float": return makeTensor(name, "float32", [], Float32Array.of(value as number));
    case "value_floats": return makeTensor(name, "float32", [(value as number[]).length], Float32Array.from(value as number[]));
    case "value_int": return makeTensor(name, "int64", [], BigInt64Array.of(BigInt(value as number)));
    case "value_ints": return makeTensor(name, "int64", [(value as number[]).length], BigInt64Array.from(value as number[], BigInt));
    case "value_string": return makeTensor(name, "string", [], [value as string]);
    case "value_strings": return makeTensor(name, "string", [(value as string[]).length], value as string[]);
    default: return undefined;
  }
}
