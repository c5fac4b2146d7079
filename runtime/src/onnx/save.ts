import * as path from "node:path";
import { promises as fs } from "node:fs";
import { onnx } from "./proto.js";
import { layoutExternalData, totalTensorBytes } from "./external-data.js";
import { crypto } from "../lazy-builtins.js";
import { commitTempFile, removeStaleTempFiles, writeTempFile } from "./atomic-write.js";
import { ModelSaveError, errorMessage } from "../errors.js";

/** Protobuf messages cannot exceed 2 GiB; models whose tensors come near it keep their weights in a data file. */
export const EXTERNAL_DATA_AUTO_BYTES = 1.8 * 1024 ** 3;

export interface WriteOptions {
  /**
   * Store large tensors in a data file beside the model. Default: when the model was loaded with external data or its
   * tensors exceed EXTERNAL_DATA_AUTO_BYTES. Without a `location`, the data file is named by its content's hash.
   */
  externalData?: boolean | { location?: string; thresholdBytes?: number };
  /**
   * Runs when everything is written under temp names, just before the model takes its place: a file that belongs with
   * the model (its calibration report) goes into place here, so a reader never finds a new model beside an old one.
   */
  beforeCommit?: () => Promise<void>;
}

/**
 * Write a ModelProto atomically, with its data file when it has one. A reader sees the old model and its data or the
 * new ones, never a mix: the data file is named by its content's hash (a new one never replaces the file an old
 * model reads), it goes into place first, the model last, and data files of older versions are removed afterwards.
 * Temp files a killed writer left are removed first.
 * `hadExternalData`: the model was loaded with external data, so it keeps it unless told otherwise.
 */
export async function writeModelFile(proto: onnx.ModelProto, file: string, options: WriteOptions = {}, hadExternalData = false): Promise<void> {
  const external = options.externalData ?? (hadExternalData || totalTensorBytes(proto.graph!) > EXTERNAL_DATA_AUTO_BYTES);
  try {
    await removeStaleTempFiles(file);
    if (!external) {
      const temp = await writeTempFile(file, [onnx.ModelProto.encode(proto).finish()]);
      await commit(temp, file, options);
      return;
    }
    const settings = typeof external === "object" ? external : {};
    const layout = layoutExternalData(proto.graph as onnx.GraphProto, settings.location ?? "", settings.thresholdBytes ?? 1024);
    const location = settings.location ?? hashedDataName(file, layout.chunks);
    for (const tensor of layout.graph.initializer ?? []) {
      for (const entry of tensor.externalData ?? []) if (entry.key === "location") entry.value = location;
    }
    proto.graph = layout.graph;
    const dataFile = path.join(path.dirname(file), location);
    const existed = await fs.stat(dataFile).then(() => true, () => false);
    await commitTempFile(await writeTempFile(dataFile, layout.chunks), dataFile);
    try {
      await commit(await writeTempFile(file, [onnx.ModelProto.encode(proto).finish()]), file, options);
    } catch (error) {
      // The old model (if any) reads its own data file; a new one nobody reads goes (one that existed may be its).
      if (!existed && !settings.location) await fs.rm(dataFile, { force: true });
      throw error;
    }
    if (!settings.location) await removeOlderDataFiles(file, location);
  } catch (error) {
    throw new ModelSaveError(file, `cannot be written (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)})`, { cause: error });
  }
}

async function commit(temp: string, file: string, options: WriteOptions): Promise<void> {
  try {
    await options.beforeCommit?.();
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  await commitTempFile(temp, file);
}

/** `OUT.onnx.<16 hex digits of the data's SHA-256>.data`. */
function hashedDataName(file: string, chunks: readonly Uint8Array[]): string {
  const hash = crypto().createHash("sha256");
  for (const chunk of chunks) hash.update(chunk);
  return `${path.basename(file)}.${hash.digest("hex").slice(0, 16)}.data`;
}

/** Data files of our naming beside `file` that the model now written no longer reads. */
async function removeOlderDataFiles(file: string, current: string): Promise<void> {
  const pattern = new RegExp(`^${escapeRegExp(path.basename(file))}\\.[0-9a-f]{16}\\.data$`);
  for (const entry of await fs.readdir(path.dirname(file))) {
    if (entry !== current && pattern.test(entry)) await fs.rm(path.join(path.dirname(file), entry), { force: true });
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
