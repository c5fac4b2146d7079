import type { DataType } from "../../onnx/data-type.js";
import { float16BitsToNumber, float32BitsToFloat16Bits, numberToFloat16Bits } from "../../onnx/float16.js";
import type { TensorData } from "../tensor.js";
import { indexWords } from "../index-words.js";
import { floatWords } from "../float-words.js";

/**
 * Casts between the common element types as one typed loop each, without a conversion closure per element: float16
 * in through a table of its 65536 values, int64 in and out through its 32-bit words (no BigInt per element; values past
 * ±2^31 take the exact BigInt path). The exotic pairs (bfloat16, uint64, bool from floats) are castValue's. Returns
 * undefined for a pair it does not take.
 */
export function fastCast(from: DataType, to: DataType): ((x: TensorData, y: TensorData, n: number) => void) | undefined {
  const numeric = (t: DataType) => t === "float32" || t === "float64" || t === "int32" || t === "int16" || t === "int8" || t === "uint8" || t === "uint16" || t === "uint32";
  const integer = (t: DataType) => t !== "float32" && t !== "float64";
  if (from === "float16" && (to === "float32" || to === "float64")) {
    return (x, y, n) => {
      const table = float16Table();
      const src = x as Uint16Array;
      const dst = y as Float32Array;
      for (let i = 0; i < n; i++) dst[i] = table[src[i]!]!;
    };
  }
  if (from === "float32" && to === "float16") {
    const words = floatWords();
    return (x, y, n) => {
      const src = words(x as Float32Array);
      const dst = y as Uint16Array;
      for (let i = 0; i < n; i++) dst[i] = float32BitsToFloat16Bits(src[i]!);
    };
  }
  if (from === "float64" && to === "float16") {
    return (x, y, n) => {
      const src = x as Float64Array;
      const dst = y as Uint16Array;
      for (let i = 0; i < n; i++) dst[i] = numberToFloat16Bits(src[i]!);
    };
  }
  if (numeric(from) && to === "int64") {
    const words = indexWords();
    const truncate = !integer(from);
    return (x, y, n) => {
      const src = x as Float32Array;
      const dst = y as BigInt64Array;
      const w = words(dst) as Int32Array;
      for (let i = 0; i < n; i++) {
        // A float's integer part (non-finite: 0, as castValue); in int32 range two word stores, else exact BigInt.
        const v = truncate ? (Number.isFinite(src[i]!) ? Math.trunc(src[i]!) : 0) : src[i]!;
        if (v >= -2147483648 && v <= 2147483647) {
          w[2 * i] = v;
          w[2 * i + 1] = v < 0 ? -1 : 0;
        } else {
          dst[i] = BigInt(v);
        }
      }
    };
  }
  if (from === "int64" && numeric(to)) {
    const words = indexWords();
    const toInteger = integer(to);
    return (x, y, n) => {
      const src = x as BigInt64Array;
      const w = words(src) as Int32Array;
      const dst = y as unknown as { [i: number]: number };
      for (let i = 0; i < n; i++) {
        const lo = w[2 * i]!;
        // An integer type keeps the low bits (its store wraps the low word as C truncates the int64); a float takes
        // the value, the low word itself when the high word is only its sign, else through BigInt.
        dst[i] = toInteger || w[2 * i + 1] === lo >> 31 ? lo : Number(src[i]!);
      }
    };
  }
  if (numeric(from) && numeric(to) && (!integer(to) || integer(from))) {
    // Widening, float ↔ float, and integer → integer (wrapping as the typed array stores do, as C casts).
    return (x, y, n) => {
      const src = x as unknown as ArrayLike<number>;
      const dst = y as unknown as { [i: number]: number };
      for (let i = 0; i < n; i++) dst[i] = src[i]!;
    };
  }
  if ((from === "float32" || from === "float64") && integer(to) && numeric(to)) {
    return (x, y, n) => {
      const src = x as Float32Array;
      const dst = y as unknown as { [i: number]: number };
      for (let i = 0; i < n; i++) {
        const v = src[i]!;
        dst[i] = Number.isFinite(v) ? Math.trunc(v) : 0;
      }
    };
  }
  if (from === "bool" && numeric(to)) {
    return (x, y, n) => {
      const src = x as Uint8Array;
      const dst = y as unknown as { [i: number]: number };
      for (let i = 0; i < n; i++) dst[i] = src[i]! ? 1 : 0;
    };
  }
  if (from === "int64" && to === "bool") {
    const words = indexWords();
    return (x, y, n) => {
      const w = words(x) as Int32Array;
      const dst = y as Uint8Array;
      for (let i = 0; i < n; i++) dst[i] = (w[2 * i]! | w[2 * i + 1]!) !== 0 ? 1 : 0;
    };
  }
  if (numeric(from) && to === "bool") {
    return (x, y, n) => {
      const src = x as unknown as ArrayLike<number>;
      const dst = y as Uint8Array;
      // NaN is true, as ONNX Runtime's cast (any nonzero value).
      for (let i = 0; i < n; i++) dst[i] = src[i]! !== 0 ? 1 : 0;
    };
  }
  return undefined;
}

let table: Float32Array | undefined;

/** Every float16 bit pattern's value, made on first use. */
function float16Table(): Float32Array {
  if (!table) {
    table = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) table[bits] = float16BitsToNumber(bits);
  }
  return table;
}
