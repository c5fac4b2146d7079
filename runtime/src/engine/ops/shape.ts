import type { OpDef, ValueMeta } from "../op.js";
import type { DataType } from "../../onnx/data-type.js";
import { dataTypeFromCode } from "../../onnx/data-type.js";
import { tensorDataType, tensorDims, tensorValues } from "../../onnx/tensor-data.js";
import { bfloat16BitsToNumber, float16BitsToNumber, numberToBfloat16Bits, numberToFloat16Bits } from "../../onnx/float16.js";
import type { onnx } from "../../onnx/proto.js";
import { arrayFor } from "../tensor.js";
import { fastCast } from "./cast-fast.js";
import { stridedRun } from "./layout.js";
import { broadcastDims, broadcastStrides, constNumbers, copyInto, normAxis, reader, requireInput, sizeOf, writer } from "./util.js";

/** An output that is input 0 with other dims: the plan makes it a view, no copy. */
function view(dims: number[], x: ValueMeta) {
  return { outputs: [{ dtype: x.dtype, dims }], alias: 0 };
}

const reshape: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const legacy = ctx.opset < 5;
    const shape = legacy ? ctx.node.intsAttribute("shape") ?? [] : constNumbers(inputs[1], "shape", ctx);
    const allowZero = ctx.node.intAttribute("allowzero", 0) !== 0;
    const total = sizeOf(x.dims);
    const dims = shape.map((d, i) => (d === 0 && !allowZero ? x.dims[i] ?? ctx.fail(`shape[${i}] = 0 copies a dimension the input does not have`) : d));
    const unknown = dims.indexOf(-1);
    if (unknown >= 0) {
      const known = sizeOf(dims.filter((_, i) => i !== unknown));
      if (known === 0 || total % known !== 0) ctx.fail(`cannot reshape [${x.dims.join(", ")}] to [${shape.join(", ")}]`);
      dims[unknown] = total / known;
    }
    if (sizeOf(dims) !== total) ctx.fail(`cannot reshape [${x.dims.join(", ")}] (${total} elements) to [${shape.join(", ")}]`);
    return view(dims, x);
  },
};

const flatten: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const rank = x.dims.length;
    const raw = ctx.node.intAttribute("axis", 1);
    const axis = raw < 0 ? raw + rank : raw;
    if (axis < 0 || axis > rank) ctx.fail(`axis ${raw} is out of range for rank ${rank}`);
    return view([sizeOf(x.dims.slice(0, axis)), sizeOf(x.dims.slice(axis))], x);
  },
};

function axesOf(inputs: readonly (ValueMeta | undefined)[], ctx: Parameters<OpDef["prepare"]>[1]): number[] | undefined {
  if (ctx.opset >= 13) return inputs[1] ? constNumbers(inputs[1], "axes", ctx) : undefined;
  return ctx.node.intsAttribute("axes");
}

const squeeze: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const axes = axesOf(inputs, ctx)?.map((a) => normAxis(a, x.dims.length, ctx));
    for (const a of axes ?? []) if (x.dims[a] !== 1) ctx.fail(`cannot squeeze axis ${a} of size ${x.dims[a]}`);
    return view(x.dims.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)), x);
  },
};

const unsqueeze: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const raw = axesOf(inputs, ctx) ?? ctx.fail("axes are required");
    const rank = x.dims.length + raw.length;
    const axes = raw.map((a) => normAxis(a, rank, ctx));
    const dims: number[] = [];
    let next = 0;
    for (let i = 0; i < rank; i++) dims.push(axes.includes(i) ? 1 : x.dims[next++]!);
    return view(dims, x);
  },
};

const identity: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    return view(x.dims, x);
  },
};

const shape: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const rank = x.dims.length;
    const clampAxis = (a: number) => Math.min(Math.max(a < 0 ? a + rank : a, 0), rank);
    const start = clampAxis(ctx.node.intAttribute("start", 0));
    const end = clampAxis(ctx.node.intAttribute("end", rank));
    const dims = x.dims.slice(start, Math.max(start, end));
    return { outputs: [{ dtype: "int64", dims: [dims.length], value: BigInt64Array.from(dims, BigInt) }] };
  },
};

const size: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    return { outputs: [{ dtype: "int64", dims: [], value: BigInt64Array.of(BigInt(sizeOf(x.dims))) }] };
  },
};

const constant: OpDef = {
  prepare(_inputs, ctx) {
    const t = ctx.node.attributes.get("value") ? (ctx.node.attribute("value") as onnx.ITensorProto) : undefined;
    if (!t) return ctx.unsupported("with anything but a dense 'value' tensor");
    return { outputs: [{ dtype: tensorDataType(t), dims: tensorDims(t), value: tensorValues(t) }] };
  },
};

const constantOfShape: OpDef = {
  prepare(inputs, ctx) {
    const dims = constNumbers(inputs[0], "shape", ctx);
    const t = ctx.node.attribute("value") as onnx.ITensorProto | undefined;
    const dtype: DataType = t ? tensorDataType(t) : "float32";
    const fill = t ? reader(tensorValues(t))(0) : 0;
    const data = arrayFor(dtype, sizeOf(dims));
    const w = writer(data);
    for (let i = 0; i < data.length; i++) w(i, fill);
    return { outputs: [{ dtype, dims, value: data }] };
  },
};

const expand: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const target = constNumbers(inputs[1], "shape", ctx);
    const out = broadcastDims(x.dims, target, ctx);
    // A strided copy reading the broadcast axes with stride 0: runs of the kept inner axes as block copies, a walk in
    // WebAssembly for float32 and bytes, the offset map otherwise (as Transpose and Slice move their windows).
    return { outputs: [{ dtype: x.dtype, dims: out }], run: stridedRun(out, broadcastStrides(x.dims, out), 0, x.dtype, ctx) };
  },
};

function castValue(from: DataType, to: DataType): (v: number) => number {
  const decode = from === "float16" ? float16BitsToNumber : from === "bfloat16" ? bfloat16BitsToNumber : undefined;
  const toInt = !(to === "float32" || to === "float64" || to === "float16" || to === "bfloat16");
  return (v) => {
    let x = decode ? decode(v) : v;
    // NaN is nonzero: true, as ONNX Runtime casts it.
    if (to === "bool") return x !== 0 ? 1 : 0;
    if (toInt) x = Number.isFinite(x) ? Math.trunc(x) : 0;
    if (to === "float16") return numberToFloat16Bits(x);
    // Through float32 first, as a float32 → bfloat16 cast: a double rounds once to float32, then to bfloat16.
    if (to === "bfloat16") return numberToBfloat16Bits(Math.fround(x));
    return x;
  };
}

const cast: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const to = dataTypeFromCode(ctx.node.intAttribute("to", 0)) ?? ctx.fail(`'to' is not a known element type`);
    if (to === "string" || x.dtype === "string") ctx.unsupported("to or from strings");
    if (to.startsWith("float8") || to.endsWith("int4")) ctx.unsupported(`to ${to}`);
    const total = sizeOf(x.dims);
    const fn = castValue(x.dtype, to);
    const fast = fastCast(x.dtype, to);
    return {
      outputs: [{ dtype: to, dims: x.dims }],
      run(ins, outs) {
        if (x.dtype === to) return copyInto(outs[0]!, ins[0]!);
        if (fast) return fast(ins[0]!.data, outs[0]!.data, total);
        const r = reader(ins[0]!.data);
        const w = writer(outs[0]!.data);
        for (let i = 0; i < total; i++) w(i, fn(r(i)));
      },
    };
  },
};

/** CastLike: Cast to the element type of a second input. */
const castLike: OpDef = {
  prepare(inputs, ctx) {
    const x = requireInput(inputs[0], 0, ctx);
    const like = requireInput(inputs[1], 1, ctx);
    if (like.dtype === "string" || x.dtype === "string") ctx.unsupported(`to ${like.dtype}`);
    if (like.dtype.startsWith("float8") || like.dtype.endsWith("int4")) ctx.unsupported(`to ${like.dtype}`);
    const total = sizeOf(x.dims);
    const fn = castValue(x.dtype, like.dtype);
    const fast = fastCast(x.dtype, like.dtype);
    return {
      outputs: [{ dtype: like.dtype, dims: x.dims }],
      runtimeInputs: [0],
      run(ins, outs) {
        if (x.dtype === like.dtype) return copyInto(outs[0]!, ins[0]!);
        if (fast) return fast(ins[0]!.data, outs[0]!.data, total);
        const r = reader(ins[0]!.data);
        const w = writer(outs[0]!.data);
        for (let i = 0; i < total; i++) w(i, fn(r(i)));
      },
    };
  },
};

export const shapeOps: Record<string, OpDef> = {
  CastLike: castLike,
  Reshape: reshape, Flatten: flatten, Squeeze: squeeze, Unsqueeze: unsqueeze, Identity: identity, Shape: shape,
  Size: size, Constant: constant, ConstantOfShape: constantOfShape, Expand: expand, Cast: cast,
};
