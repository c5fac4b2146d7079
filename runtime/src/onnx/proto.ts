/** The generated ONNX protobuf classes (protobufjs, via onnx-proto), and helpers for their 64-bit integers. */
import { onnx } from "onnx-proto";
import type Long from "long";

export { onnx };

/** int64 fields decode as Long objects when the value needs them; qkit works in plain numbers where they are exact. */
export function toNumber(value: number | Long | null | undefined): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === "number") return value;
  return value.toNumber();
}

export function toBigInt(value: number | Long | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === "number") return BigInt(value);
  // From the two 32-bit halves: Long's toString divides by ten digit by digit, and every int64 dim is a Long.
  const bits = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return value.unsigned ? bits : BigInt.asIntN(64, bits);
}
