import { test } from "node:test";
import assert from "node:assert/strict";
import { onnx } from "../src/tooling.js";
import { toBigInt } from "../src/onnx/proto.js";

/** A 64-bit value as the protobuf writer takes it: two 32-bit halves. */
const bits = (value: bigint) => ({ low: Number(BigInt.asUintN(32, value)) | 0, high: Number(BigInt.asUintN(32, value >> 32n)) | 0 });

// int64 and uint64 fields decode as Long objects; toBigInt builds the value from their two 32-bit halves.
test("toBigInt gives the exact value of decoded int64 and uint64 fields across the 64-bit range", () => {
  const signed = [0n, 1n, -1n, 224n, -5n, 2147483647n, -2147483648n, 4294967295n, 4294967296n, -4294967297n, 9007199254740993n, 9223372036854775807n, -9223372036854775808n];
  const unsigned = [0n, 4294967295n, 9223372036854775808n, 18446744073709551615n];
  const encoded = onnx.TensorProto.encode({ dims: signed.map(bits), uint64Data: unsigned.map(bits) } as unknown as onnx.ITensorProto).finish();
  const decoded = onnx.TensorProto.decode(encoded);
  assert.deepEqual(decoded.dims.map(toBigInt), signed);
  assert.deepEqual(decoded.uint64Data.map(toBigInt), unsigned);
  assert.equal(toBigInt(7), 7n);
  assert.equal(toBigInt(null), 0n);
});
