import type { Model } from "../model.js";
import type { Node } from "../graph/node.js";
import { tensorDataType, tensorValues } from "../onnx/tensor-data.js";
import type { Kernels } from "./kernels/kernels.js";
import type { ValueMeta } from "./op.js";
import type { PlanShared } from "./plan.js";

/**
 * The state the plans of one graph share: its constants decoded once, their kernel-memory copies, the weights packed
 * once. Memory it takes from the kernels goes into `owned`, which the owner frees when it closes.
 */
export function createPlanShared(model: Model, kernels: Kernels, owned: Float32Array[]): PlanShared {
  const constants = new Map<Node, ValueMeta>();
  const inMemory = new Map<Node, Float32Array>();
  return {
    model,
    k: kernels,
    opset: model.opset() ?? 17,
    memo: new Map(),
    constantMeta(node) {
      let meta = constants.get(node);
      if (!meta) {
        const t = node.tensor!;
        const dims = (t.dims ?? []).map(Number);
        meta = { dtype: tensorDataType(t), dims, value: tensorValues(t) };
        constants.set(node, meta);
      }
      return meta;
    },
    constantInMemory(node, meta) {
      let copy = inMemory.get(node);
      if (!copy) {
        copy = kernels.allocF32((meta.value as Float32Array).length);
        copy.set(meta.value as Float32Array);
        inMemory.set(node, copy);
        owned.push(copy);
      }
      return copy;
    },
    persistentF32(length) {
      const view = kernels.allocF32(length);
      owned.push(view);
      return view;
    },
  };
}
