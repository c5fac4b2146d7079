import { Model } from "./model.js";
import { graphFromOnnx } from "./graph/from-onnx.js";
import { graphToOnnx } from "./graph/to-onnx.js";
import { normalizeGraph } from "./graph/normalize.js";
import { inferShapes } from "./graph/shape-inference/infer.js";
import { SUPPORTED_OPSET } from "./onnx/load.js";
import type { onnx } from "./onnx/proto.js";

/**
 * A copy of the model whose graph can be annotated or rewritten without touching the original. Tensor data is shared
 * (passes replace tensors, they never write into them); node metadata other than shapes is not copied. `rewrite`
 * changes the copy's protobuf graph before it is read back.
 */
export function cloneModel(model: Model, rewrite?: (graph: onnx.IGraphProto) => void): Model {
  const proto = graphToOnnx(model.graph);
  // A rewrite of the copy's protobuf (widen-float16.ts): it replaces what it changes, the tensors stay shared.
  rewrite?.(proto);
  const copy = new Model(graphFromOnnx(proto));
  normalizeGraph(copy.graph);
  inferShapes(copy.graph, model.opset() ?? SUPPORTED_OPSET.max);
  copy.irVersion = model.irVersion;
  copy.opsetImports = model.opsetImports.map((o) => ({ ...o }));
  copy.producerName = model.producerName;
  copy.producerVersion = model.producerVersion;
  copy.domain = model.domain;
  copy.modelVersion = model.modelVersion;
  copy.docString = model.docString;
  copy.metadataProps = model.metadataProps.map((p) => ({ ...p }));
  copy.functions = model.functions;
  copy.trainingInfo = model.trainingInfo;
  copy.normalization = { ...model.normalization };
  copy.source = model.source;
  copy.externalDataLocations = [...model.externalDataLocations];
  copy.sourceOpset = model.sourceOpset;
  copy.opsetUpgradeBlocked = model.opsetUpgradeBlocked;
  return copy;
}

/**
 * Make the values of the given tensors graph outputs too, so a session returns them (calibration's observed
 * activations, the debugger's compared nodes). The declared output types go: the added outputs have none.
 */
export function exposeValues(model: Model, tensorNames: readonly string[]): void {
  const graph = model.graph;
  graph.outputs = [...new Set([...graph.outputs, ...tensorNames.map((name) => graph.producerOf(name)!)])];
  graph.outputNode.meta.outputValueInfos = [];
  graph.lint();
}
