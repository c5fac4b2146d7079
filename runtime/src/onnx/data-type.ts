/** ONNX tensor element types under the names qkit uses everywhere (the numbers are TensorProto.DataType). */

export const DATA_TYPES = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
  complex64: 14,
  complex128: 15,
  bfloat16: 16,
  float8e4m3fn: 17,
  float8e4m3fnuz: 18,
  float8e5m2: 19,
  float8e5m2fnuz: 20,
  uint4: 21,
  int4: 22,
} as const;

export type DataType = keyof typeof DATA_TYPES;

const BY_CODE = new Map<number, DataType>(Object.entries(DATA_TYPES).map(([name, code]) => [code, name as DataType]));

export function dataTypeFromCode(code: number): DataType | undefined {
  return BY_CODE.get(code);
}

export function dataTypeCode(type: DataType): number {
  return DATA_TYPES[type];
}

/** Bytes per element in raw_data; 0 for string, fractional for the 4-bit types. */
export function bytesPerElement(type: DataType): number {
  switch (type) {
    case "bool": case "int8": case "uint8":
    case "float8e4m3fn": case "float8e4m3fnuz": case "float8e5m2": case "float8e5m2fnuz":
      return 1;
    case "int16": case "uint16": case "float16": case "bfloat16":
      return 2;
    case "int32": case "uint32": case "float32":
      return 4;
    case "int64": case "uint64": case "float64": case "complex64":
      return 8;
    case "complex128":
      return 16;
    case "uint4": case "int4":
      return 0.5;
    case "string":
      return 0;
  }
}

/** Integer range of the integer types that quantization uses. */
export function integerRange(type: DataType): { min: number; max: number } | undefined {
  switch (type) {
    case "int8": return { min: -128, max: 127 };
    case "uint8": return { min: 0, max: 255 };
    case "int16": return { min: -32768, max: 32767 };
    case "uint16": return { min: 0, max: 65535 };
    case "int32": return { min: -2147483648, max: 2147483647 };
    case "uint32": return { min: 0, max: 4294967295 };
    case "int4": return { min: -8, max: 7 };
    case "uint4": return { min: 0, max: 15 };
    default: return undefined;
  }
}

export function isFloatType(type: DataType): boolean {
  return type === "float32" || type === "float16" || type === "float64" || type === "bfloat16" || type.startsWith("float8");
}
