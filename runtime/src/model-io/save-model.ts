import { onnx } from "../onnx/proto.js";
import { writeModelFile, type WriteOptions } from "../onnx/save.js";
import type { Model } from "../model.js";
import { graphToOnnx, withoutEmpty } from "../graph/to-onnx.js";

export type SaveOptions = WriteOptions;

export function modelToOnnx(model: Model): onnx.ModelProto {
  return new onnx.ModelProto(withoutEmpty({
    irVersion: model.irVersion,
    opsetImport: model.opsetImports.map((o) => new onnx.OperatorSetIdProto({ domain: o.domain, version: o.version })),
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    domain: model.domain,
    modelVersion: model.modelVersion,
    docString: model.docString,
    metadataProps: model.metadataProps.map((p) => new onnx.StringStringEntryProto(p)),
    functions: model.functions,
    trainingInfo: model.trainingInfo,
    graph: graphToOnnx(model.graph),
  }));
}

/** Serialize to bytes (no external data). */
export function serializeModel(model: Model): Uint8Array {
  return onnx.ModelProto.encode(modelToOnnx(model)).finish();
}

/** Write the model atomically; with external data, the data file is complete before the model that names it. */
export async function saveModel(model: Model, file: string, options: SaveOptions = {}): Promise<void> {
  await writeModelFile(modelToOnnx(model), file, options, model.externalDataLocations.length > 0);
}
