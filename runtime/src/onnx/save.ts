import * as path from "node:path";
import { promises as fs } from "node:fs";
import { onnx } from "./proto.js";
import { layoutExternalData, totalTensorBytes } from "./external-data.js";
import { writeFileAtomic, writeTempFile } from "./atomic-write.js";
import { ModelSaveError, errorMessage } from "../errors.js";
import type { Model } from "../model.js";
import { graphToOnnx, withoutEmpty } from "../graph/to-onnx.js";

/** Protobuf messages cannot exceed 2 GiB; models whose tensors come near it keep their weights in a data file. */
export const EXTERNAL_DATA_AUTO_BYTES = 1.8 * 1024 ** 3;

export interface SaveOptions {
  /**
   * Store large tensors in a data file beside the model. Default: when the model was loaded with external data or its
   * tensors exceed EXTERNAL_DATA_AUTO_BYTES.
   */
  externalData?: boolean | { location?: string; thresholdBytes?: number };
}

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
  const proto = modelToOnnx(model);
  const external = options.externalData ?? (model.externalDataLocations.length > 0 || totalTensorBytes(proto.graph!) > EXTERNAL_DATA_AUTO_BYTES);
  try {
    if (external) {
      const settings = typeof external === "object" ? external : {};
      const location = settings.location ?? `${path.basename(file)}.data`;
      const layout = layoutExternalData(proto.graph as onnx.GraphProto, location, settings.thresholdBytes ?? 1024);
      proto.graph = layout.graph;
      const dataFile = path.join(path.dirname(file), location);
      // Both files are complete under temp names before either takes its place, data first.
      const dataTemp = await writeTempFile(dataFile, layout.chunks);
      let modelTemp: string | undefined;
      try {
        modelTemp = await writeTempFile(file, [onnx.ModelProto.encode(proto).finish()]);
        await fs.rename(dataTemp, dataFile);
        await fs.rename(modelTemp, file);
      } catch (error) {
        await fs.rm(dataTemp, { force: true });
        if (modelTemp) await fs.rm(modelTemp, { force: true });
        throw error;
      }
    } else {
      await writeFileAtomic(file, [onnx.ModelProto.encode(proto).finish()]);
    }
  } catch (error) {
    throw new ModelSaveError(file, `cannot be written (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)})`, { cause: error });
  }
}
