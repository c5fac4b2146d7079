import type { DataType } from "../../onnx/data-type.js";
import { tensorDataType, tensorDims, tensorValues } from "../../onnx/tensor-data.js";
import type { Graph } from "../graph.js";
import type { Dim, Node } from "../node.js";
import { SHAPE_RULES, type InferredValue, type InferenceContext } from "./rules.js";
import { isQdqOp } from "../../onnx/qdq-ops.js";

/** Constant integer tensors up to this many elements are tracked, so Shape → Gather → Concat → Reshape resolves. */
const MAX_TRACKED_ELEMENTS = 64;

/**
 * Fill node.meta.dtype and node.meta.shape for every node, in graph order. Dims that depend on run-time sizes stay
 * symbolic (the names the model declared, like "batch"); a value whose shape cannot be inferred keeps what the model
 * declared for it, or stays unknown.
 */
export function inferShapes(graph: Graph, opset: number): void {
  const values = new Map<Node, Dim[]>();
  for (const node of graph.nodes) {
    switch (node.kind) {
      case "placeholder":
        break;
      case "parameter": {
        const tensor = node.tensor!;
        const dims = tensorDims(tensor);
        node.meta.dtype = tensorDataType(tensor);
        node.meta.shape = dims;
        const count = dims.reduce((a, b) => a * b, 1);
        if ((node.meta.dtype === "int64" || node.meta.dtype === "int32") && count <= MAX_TRACKED_ELEMENTS) {
          values.set(node, Array.from(tensorValues(tensor) as ArrayLike<number | bigint>, Number));
        }
        break;
      }
      case "getitem": {
        const outs = node.args[0]?.meta.outputs as InferredValue[] | undefined;
        const inferred = outs?.[node.index];
        if (inferred) assign(node, inferred);
        break;
      }
      case "call": {
        const rule = node.domain === "" || node.domain === "ai.onnx" || isQdqOp(node.domain, node.opType) ? SHAPE_RULES[node.opType] : undefined;
        if (!rule) break;
        const context = makeContext(node, values, opset);
        let outputs: (InferredValue | undefined)[];
        try {
          outputs = rule(context);
        } catch {
          // A rule that meets an input it cannot reason about leaves the node unknown rather than failing the load.
          break;
        }
        if (node.isMultiOutput) {
          node.meta.outputs = outputs;
        } else if (outputs[0]) {
          assign(node, outputs[0]);
          if (outputs[0].value) values.set(node, outputs[0].value);
        }
        break;
      }
      case "output":
        break;
    }
  }
}

function assign(node: Node, inferred: InferredValue): void {
  if (inferred.dtype) node.meta.dtype = inferred.dtype;
  if (inferred.shape) node.meta.shape = inferred.shape;
}

function makeContext(node: Node, values: Map<Node, Dim[]>, opset: number): InferenceContext {
  return {
    node,
    opset,
    inputCount: node.args.length,
    dtype: (i: number): DataType | undefined => node.args[i]?.meta.dtype,
    shape: (i: number): Dim[] | undefined => node.args[i]?.meta.shape,
    value: (i: number): Dim[] | undefined => {
      const arg = node.args[i];
      return arg ? values.get(arg) : undefined;
    },
    present: (i: number) => !!node.args[i],
  };
}
