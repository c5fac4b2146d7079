import { toNumber } from "../onnx/proto.js";
import { readModelFile, SUPPORTED_OPSET, type ReadOptions } from "../onnx/load.js";
import { ModelLoadError, QkitError } from "../errors.js";
import { Model } from "../model.js";
import { graphFromOnnx } from "../graph/from-onnx.js";
import { normalizeGraph } from "../graph/normalize.js";
import { inferShapes } from "../graph/shape-inference/infer.js";

export interface LoadOptions extends ReadOptions {
  /** Fold exporter artefacts (Identity-routed parameters, Constant nodes); default true. */
  normalize?: boolean;
  /** Infer dtypes and shapes; default true. */
  inferShapes?: boolean;
}

/**
 * Load an ONNX model from a path or from its bytes into the IR: the file format is read by `onnx/`, the graph built,
 * normalized and shape-inferred by `graph/`. Every problem is a ModelLoadError whose one-line message names the file
 * and what is wrong.
 */
export async function loadModel(pathOrBytes: string | Uint8Array, options: LoadOptions = {}): Promise<Model> {
  const { proto, file, externalDataLocations, upgradedFrom, opsetUpgradeBlocked } = await readModelFile(pathOrBytes, options);
  let model: Model;
  try {
    model = new Model(graphFromOnnx(proto.graph!));
  } catch (error) {
    if (error instanceof QkitError) throw new ModelLoadError("not-onnx", file, `${error.message}; the file is not a valid ONNX graph`, { cause: error });
    throw error;
  }
  model.source = file;
  model.externalDataLocations = externalDataLocations;
  model.sourceOpset = upgradedFrom;
  model.opsetUpgradeBlocked = opsetUpgradeBlocked;
  model.irVersion = toNumber(proto.irVersion);
  model.opsetImports = proto.opsetImport.map((o) => ({ domain: o.domain ?? "", version: toNumber(o.version) }));
  model.producerName = proto.producerName;
  model.producerVersion = proto.producerVersion;
  model.domain = proto.domain;
  model.modelVersion = toNumber(proto.modelVersion);
  model.docString = proto.docString;
  model.metadataProps = proto.metadataProps.map((p) => ({ key: p.key ?? "", value: p.value ?? "" }));
  model.functions = proto.functions;
  model.trainingInfo = proto.trainingInfo;
  if (options.normalize !== false) model.normalization = normalizeGraph(model.graph);
  if (options.inferShapes !== false) inferShapes(model.graph, model.opset() ?? SUPPORTED_OPSET.max);
  return model;
}
