/** The vocabulary of quantization shared by specs, observers and the converter (PT2E's, in TypeScript casing). */

/** Integer types a tensor can be quantized to. "uint8"/"int8" are torch's quint8/qint8. */
export const QUANT_DTYPES = ["int8", "uint8", "int16", "uint16", "int32"] as const;
export type QuantDType = (typeof QUANT_DTYPES)[number];

export const QSCHEMES = ["per_tensor_affine", "per_tensor_symmetric", "per_channel_affine", "per_channel_symmetric"] as const;
export type QScheme = (typeof QSCHEMES)[number];

export function isPerChannel(qscheme: QScheme): boolean {
  return qscheme === "per_channel_affine" || qscheme === "per_channel_symmetric";
}

export function isSymmetric(qscheme: QScheme): boolean {
  return qscheme === "per_tensor_symmetric" || qscheme === "per_channel_symmetric";
}

/** Quantization parameters: one entry per tensor, or one per channel along `axis`. */
export interface QParams {
  scale: Float32Array;
  zeroPoint: Int32Array;
  axis?: number;
}
