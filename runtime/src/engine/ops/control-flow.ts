import type { OpDef, PrepareContext, RtValue } from "../op.js";
import { arrayFor, type TensorData } from "../tensor.js";
import { reader, requireInput, sizeOf } from "./util.js";

/**
 * Control flow: If runs one of its branches, Loop its body until the trip count or the condition ends it, Scan its
 * body once per position of its scan inputs. Their
 * output shapes can depend on the data, so the plan hands over at them (plan.ts) and they run their subgraphs there,
 * each planned per input shapes on the session's kernels (subgraph-runner.ts).
 */
function controlFlow(evaluate: NonNullable<OpDef["evaluate"]>): OpDef {
  return {
    evaluate,
    prepare(_inputs, ctx) {
      // The plan never prepares a node with subgraphs: it evaluates it, with the values the subgraphs read.
      return ctx.unsupported("outside a plan's hand-over");
    },
  };
}

function scalar(value: RtValue | undefined, what: string, ctx: PrepareContext): number {
  if (!value || sizeOf(value.dims) !== 1) ctx.fail(`${what} must hold one value${value ? `, got shape [${value.dims.join(", ")}]` : ""}`);
  return reader(value.data)(0);
}

/** The subgraph's inputs by name: its declared ones given here, and the values it reads from the scopes around it. */
function scope(names: readonly string[], given: readonly RtValue[], outer: ReadonlyMap<string, RtValue>): Map<string, RtValue> {
  const values = new Map(outer);
  names.forEach((name, i) => values.set(name, given[i]!));
  return values;
}

const ifOp = controlFlow((inputs, ctx, outer) => {
  const branch = ctx.subgraph(scalar(inputs[0], "the condition", ctx) !== 0 ? "then_branch" : "else_branch");
  return branch.run(scope([], [], outer));
});

/** Loop: the carried values through each iteration, and each scan output stacked along a new first axis. */
const loop = controlFlow((inputs, ctx, outer) => {
  const body = ctx.subgraph("body");
  const maxTrips = inputs[0] ? scalar(inputs[0], "the trip count M", ctx) : undefined;
  let condition = inputs[1] ? scalar(inputs[1], "the condition", ctx) !== 0 : true;
  if (maxTrips === undefined && !inputs[1]) ctx.fail("has neither a trip count nor a condition: it would not end");
  let carried: RtValue[] = inputs.slice(2).map((v, i) => requireInput(v, i + 2, ctx));
  const scans: RtValue[][] = [];
  let trip = 0;
  for (; (maxTrips === undefined || trip < maxTrips) && condition; trip++) {
    const iteration: RtValue = { dtype: "int64", dims: [], data: BigInt64Array.of(BigInt(trip)) };
    const flag: RtValue = { dtype: "bool", dims: [], data: Uint8Array.of(condition ? 1 : 0) };
    const outs = body.run(scope(body.inputNames, [iteration, flag, ...carried], outer));
    if (outs.length < 1 + carried.length) ctx.fail(`body returns ${outs.length} values, fewer than the condition and ${carried.length} carried`);
    condition = reader(outs[0]!.data)(0) !== 0;
    carried = outs.slice(1, 1 + carried.length);
    scans.push(outs.slice(1 + carried.length));
  }
  const scanCount = Math.max(0, (ctx.node.outputNames.length) - carried.length);
  const stacked = Array.from({ length: scanCount }, (_, k) => stack(scans.map((outs) => outs[k]!), ctx, k));
  return [...carried, ...stacked];
});

/** The scan output's values of every iteration, one after the other along a new first axis. */
function stack(values: readonly RtValue[], ctx: PrepareContext, k: number): RtValue {
  if (values.length === 0) return { dtype: "float32", dims: [0], data: new Float32Array(0) };
  const first = values[0]!;
  const size = sizeOf(first.dims);
  values.forEach((v, i) => {
    if (v.dtype !== first.dtype || v.dims.join(",") !== first.dims.join(",")) {
      ctx.fail(`scan output ${k} is ${v.dtype}[${v.dims.join(", ")}] at iteration ${i}, ${first.dtype}[${first.dims.join(", ")}] at iteration 0: they must match to be stacked`);
    }
  });
  if (Array.isArray(first.data)) return { dtype: first.dtype, dims: [values.length, ...first.dims], data: values.flatMap((v) => v.data as string[]) };
  const data = arrayFor(first.dtype, size * values.length) as unknown as { set(a: ArrayLike<unknown>, at: number): void };
  values.forEach((v, i) => data.set(v.data as ArrayLike<unknown>, i * size));
  return { dtype: first.dtype, dims: [values.length, ...first.dims], data: data as unknown as TensorData };
}

/**
 * Scan (opset 9 on): the body runs once per position along the scan inputs' axes (forward or reverse), carrying the
 * state values through; each scan output's per-position values are stacked along its axis (in reverse for a reverse
 * output).
 */
const scan = controlFlow((inputs, ctx, outer) => {
  if (ctx.opset < 9) ctx.unsupported("of opset 8 (with a batch axis and sequence_lens); export the model at opset 9 or later");
  const body = ctx.subgraph("body");
  const scanCount = ctx.node.intAttribute("num_scan_inputs", 0);
  const stateCount = inputs.length - scanCount;
  if (scanCount < 1 || stateCount < 0) ctx.fail(`num_scan_inputs is ${scanCount} for ${inputs.length} inputs`);
  const values = inputs.map((v, i) => requireInput(v, i, ctx));
  const axisOf = (list: number[] | undefined, i: number, rank: number) => {
    const axis = list?.[i] ?? 0;
    return axis < 0 ? axis + rank : axis;
  };
  const inAxes = ctx.node.intsAttribute("scan_input_axes");
  const inReverse = ctx.node.intsAttribute("scan_input_directions");
  const scans = values.slice(stateCount);
  const length = scans[0]!.dims[axisOf(inAxes, 0, scans[0]!.dims.length)]!;
  scans.forEach((v, i) => {
    const n = v.dims[axisOf(inAxes, i, v.dims.length)];
    if (n !== length) ctx.fail(`scan input ${i} has ${n} positions along its axis, scan input 0 has ${length}`);
  });
  let states = values.slice(0, stateCount);
  const perStep: RtValue[][] = [];
  for (let t = 0; t < length; t++) {
    const slices = scans.map((v, i) => sliceAt(v, axisOf(inAxes, i, v.dims.length), inReverse?.[i] ? length - 1 - t : t));
    const outs = body.run(scope(body.inputNames, [...states, ...slices], outer));
    states = outs.slice(0, stateCount);
    perStep.push(outs.slice(stateCount));
  }
  const outAxes = ctx.node.intsAttribute("scan_output_axes");
  const outReverse = ctx.node.intsAttribute("scan_output_directions");
  const outputCount = ctx.node.outputNames.length - stateCount;
  const stacked = Array.from({ length: outputCount }, (_, k) => {
    const steps = perStep.map((outs) => outs[k]!);
    if (outReverse?.[k]) steps.reverse();
    const along = stack(steps, ctx, k);
    const rank = along.dims.length;
    const axis = axisOf(outAxes, k, rank);
    return axis === 0 ? along : moveFirstAxis(along, axis);
  });
  return [...states, ...stacked];
});

/** The value at `index` along `axis`, that axis removed. */
function sliceAt(v: RtValue, axis: number, index: number): RtValue {
  const outer = sizeOf(v.dims.slice(0, axis));
  const n = v.dims[axis]!;
  const inner = sizeOf(v.dims.slice(axis + 1));
  const dims = v.dims.filter((_, i) => i !== axis);
  const src = v.data as unknown as ArrayLike<unknown>;
  const data = (Array.isArray(v.data) ? new Array<string>(outer * inner) : arrayFor(v.dtype, outer * inner)) as unknown as { [i: number]: unknown };
  for (let o = 0; o < outer; o++) for (let q = 0; q < inner; q++) data[o * inner + q] = src[(o * n + index) * inner + q];
  return { dtype: v.dtype, dims, data: data as unknown as TensorData };
}

/** A value stacked along a new first axis, with that axis moved to position `axis`. */
function moveFirstAxis(v: RtValue, axis: number): RtValue {
  const [n, ...rest] = v.dims;
  const outer = sizeOf(rest.slice(0, axis));
  const inner = sizeOf(rest.slice(axis));
  const dims = [...rest.slice(0, axis), n!, ...rest.slice(axis)];
  const src = v.data as unknown as ArrayLike<unknown>;
  const data = (Array.isArray(v.data) ? new Array<string>(src.length) : arrayFor(v.dtype, src.length)) as unknown as { [i: number]: unknown };
  for (let t = 0; t < n!; t++) for (let o = 0; o < outer; o++) for (let q = 0; q < inner; q++) data[(o * n! + t) * inner + q] = src[(t * outer + o) * inner + q];
  return { dtype: v.dtype, dims, data: data as unknown as TensorData };
}

export const controlFlowOps: Record<string, OpDef> = { If: ifOp, Loop: loop, Scan: scan };
