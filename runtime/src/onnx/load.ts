import { promises as fs } from "node:fs";
import * as path from "node:path";
import { onnx, toNumber } from "./proto.js";
import { readExternalData } from "./external-data.js";
import { validateModelProto } from "./validate.js";
import { NATIVE_OPSET, upgradeLegacyOpset } from "./upgrade-legacy-opset.js";
import { QDQ_OPSET, opset10Blocker, upgradeToOpset10 } from "./upgrade-opset-10.js";
import { ModelLoadError, errorMessage } from "../errors.js";

/** IR versions qkit reads: 3 (ONNX 1.0) to 11 (ONNX 1.18). */
export const SUPPORTED_IR = { min: 3, max: 11 } as const;
/**
 * Versions of the default (ai.onnx) opset qkit reads. Models of opsets 1–9 are rewritten into opset 10's form as they
 * are read (`upgrade-legacy-opset.ts` to opset 7, `upgrade-opset-10.ts` from there), so everything past the reader
 * sees opset 10 or later, where QuantizeLinear exists, except a model of opsets 7–9 with a node opset 10 cannot
 * express: that one is read as it is.
 */
export const SUPPORTED_OPSET = { min: 1, max: 26 } as const;

export interface ReadOptions {
  /** For bytes: the name used in messages and the folder external data is read from. */
  name?: string;
  baseDir?: string;
}

/** A decoded, validated ModelProto with its external data read in. */
export interface ModelFile {
  proto: onnx.ModelProto;
  /** The path or name used in messages. */
  file: string;
  /** The external data files the model named (relative locations). */
  externalDataLocations: string[];
  /** The default opset the file imported, when it was older than the opset it was rewritten into. */
  upgradedFrom?: number;
  /** Why a model of opsets 7–9 was read at its own opset rather than rewritten into opset 10's form. */
  opsetUpgradeBlocked?: string;
}

/**
 * Read an ONNX file (or its bytes) into a ModelProto: decode, check IR and opset, read external data. Every problem is
 * a ModelLoadError whose one-line message names the file and what is wrong.
 */
export async function readModelFile(pathOrBytes: string | Uint8Array, options: ReadOptions = {}): Promise<ModelFile> {
  const file = typeof pathOrBytes === "string" ? pathOrBytes : options.name ?? "<bytes>";
  const bytes = typeof pathOrBytes === "string" ? await readBytes(pathOrBytes) : pathOrBytes;
  const proto = decode(file, bytes);
  validateHeader(file, proto);
  const version = defaultOpset(proto);
  if (version !== undefined && version < NATIVE_OPSET) {
    upgradeLegacyOpset(proto, (message) => new ModelLoadError("unsupported-opset", file, `imports opset ${version}, and ${message}`));
  }
  try {
    validateModelProto(proto);
  } catch (error) {
    throw new ModelLoadError("invalid", file, errorMessage(error), { cause: error });
  }
  // After validation: opset 10 allows attributes (MaxPool's ceil_mode) that make an opset-7 model invalid.
  const blocked = version !== undefined && version < QDQ_OPSET ? opset10Blocker(proto.graph!, Math.max(version, NATIVE_OPSET)) : undefined;
  if (version !== undefined && version < QDQ_OPSET && !blocked) upgradeToOpset10(proto);

  const baseDir = options.baseDir ?? (typeof pathOrBytes === "string" ? path.dirname(path.resolve(pathOrBytes)) : process.cwd());
  let externalDataLocations: string[];
  try {
    externalDataLocations = await readExternalData(proto.graph!, baseDir);
  } catch (error) {
    throw new ModelLoadError("external-data", file, errorMessage(error), { cause: error });
  }
  return {
    proto, file, externalDataLocations,
    ...(version !== undefined && version < QDQ_OPSET && (!blocked || version < NATIVE_OPSET) ? { upgradedFrom: version } : {}),
    ...(blocked ? { opsetUpgradeBlocked: blocked } : {}),
  };
}

/** The version of the default (ai.onnx) opset the model imports, if it imports it. */
function defaultOpset(proto: onnx.ModelProto): number | undefined {
  const entry = proto.opsetImport.find((o) => !o.domain || o.domain === "ai.onnx");
  return entry ? toNumber(entry.version) : undefined;
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new ModelLoadError("not-found", file, "no such file; check the path");
    if (code === "EISDIR") throw new ModelLoadError("unreadable", file, "is a folder, not an .onnx file");
    throw new ModelLoadError("unreadable", file, `cannot be read (${code ?? errorMessage(error)})`, { cause: error });
  }
}

function decode(file: string, bytes: Uint8Array): onnx.ModelProto {
  if (bytes.length === 0) throw new ModelLoadError("not-onnx", file, "is empty, not an ONNX model");
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (error) {
    // The decoder recurses once per nesting level (subgraphs in attributes, types in types).
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      throw new ModelLoadError("invalid", file, "nests subgraphs or types thousands of levels deep, more than any reader can follow; the file is broken or made to exhaust readers", { cause: error });
    }
    // An ONNX file starts with field 1 (ir_version, a varint): tag byte 0x08. Anything else was never a model.
    if (bytes[0] === 0x08) {
      throw new ModelLoadError("truncated", file, `is truncated or corrupt (protobuf: ${errorMessage(error)}); re-export or re-download it`, { cause: error });
    }
    throw new ModelLoadError("not-onnx", file, "is not an ONNX model (it does not decode as a ModelProto)", { cause: error });
  }
}

function validateHeader(file: string, proto: onnx.ModelProto): void {
  const ir = toNumber(proto.irVersion);
  if (!proto.graph || ir === 0 || proto.opsetImport.length === 0) {
    const missing = !proto.graph ? "graph" : ir === 0 ? "ir_version" : "opset_import";
    throw new ModelLoadError(
      proto.graph && ir > 0 ? "truncated" : "not-onnx",
      file,
      `is not a complete ONNX model (it has no ${missing}); it may be truncated or another kind of file`,
    );
  }
  if (ir < SUPPORTED_IR.min || ir > SUPPORTED_IR.max) {
    throw new ModelLoadError("unsupported-ir", file, `has IR version ${ir}; qkit reads IR ${SUPPORTED_IR.min} to ${SUPPORTED_IR.max} (convert it with onnx.version_converter)`);
  }
  const version = defaultOpset(proto);
  if (version !== undefined && (version < SUPPORTED_OPSET.min || version > SUPPORTED_OPSET.max)) {
    throw new ModelLoadError("unsupported-opset", file, `imports opset ${version}; qkit supports ai.onnx opsets ${SUPPORTED_OPSET.min} to ${SUPPORTED_OPSET.max} (convert it with onnx.version_converter)`);
  }
}
