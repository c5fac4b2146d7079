import * as path from "node:path";
import { promises as fs } from "node:fs";
import { onnx } from "./proto.js";
import { layoutExternalData, totalTensorBytes } from "./external-data.js";
import { writeFileAtomic, writeTempFile } from "./atomic-write.js";
import { ModelSaveError, errorMessage } from "../errors.js";

/** Protobuf messages cannot exceed 2 GiB; models whose tensors come near it keep their weights in a data file. */
export const EXTERNAL_DATA_AUTO_BYTES = 1.8 * 1024 ** 3;

export interface WriteOptions {
  /**
   * Store large tensors in a data file beside the model. Default: when the model was loaded with external data or its
   * tensors exceed EXTERNAL_DATA_AUTO_BYTES.
   */
  externalData?: boolean | { location?: string; thresholdBytes?: number };
}

/**
 * Write a ModelProto atomically; with external data, the data file is complete before the model that names it.
 * `hadExternalData`: the model was loaded with external data, so it keeps it unless told otherwise.
 */
export async function writeModelFile(proto: onnx.ModelProto, file: string, options: WriteOptions = {}, hadExternalData = false): Promise<void> {
  const external = options.externalData ?? (hadExternalData || totalTensorBytes(proto.graph!) > EXTERNAL_DATA_AUTO_BYTES);
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
