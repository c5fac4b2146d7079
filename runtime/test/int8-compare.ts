// Helpers of the int8 tests: run a Q/DQ model as the reference and lowered, and compare each integer operator on
// the reference's own integer inputs, so that a rounding tie in one layer is not counted again in the next.
import { createSession, lower, cloneModel, Tensor, type Model, type Node } from "../src/tooling.js";

export interface NodeDiff {
  name: string;
  opType: string;
  elements: number;
  /** Elements whose integer differs from the reference's. */
  mismatches: number;
  /** Largest difference in quantization steps. */
  maxSteps: number;
}

const INTEGER = new Set(["uint8", "int8", "int16"]);

function integerValueNames(model: Model): string[] {
  return model.graph.calls().filter((n) => INTEGER.has(n.meta.dtype ?? "") && !n.isMultiOutput).map((n) => n.valueName);
}

function withOutputs(model: Model, names: readonly string[]): Model {
  const copy = cloneModel(model);
  copy.graph.outputs = [...new Set([...copy.graph.outputs, ...names.map((n) => copy.graph.producerOf(n)!)])];
  copy.graph.outputNode.meta.outputValueInfos = [];
  return copy;
}

/** Every integer tensor of the Q/DQ reference run on `feeds` (the float engine, no lowering). */
export async function referenceIntegers(model: Model, feeds: Record<string, Tensor>): Promise<Map<string, Tensor>> {
  const session = await createSession(withOutputs(model, integerValueNames(model)), { lowering: false });
  try {
    const out = await session.run(feeds);
    return new Map(Object.entries(out));
  } finally {
    await session.release();
  }
}

/**
 * The lowered model with every integer operator cut loose: its integer inputs become graph inputs (fed with the
 * reference's values) and its outputs graph outputs.
 */
function isolated(qdq: Model, reference: Map<string, Tensor>): { model: Model; nodes: Node[] } {
  // Cut a fresh lowering (cloning would drop the integer operators' types, which shape inference does not know).
  const model = lower(qdq);
  const graph = model.graph;
  const nodes = graph.calls().filter((n) => INTEGER.has(n.meta.dtype ?? "") && reference.has(n.valueName) && n.opType !== "QuantizeLinear");
  const inputs = new Map<Node, Node>();
  for (const node of nodes) {
    for (const arg of node.args) {
      if (!arg || arg.kind === "parameter" || arg.kind === "placeholder" || !reference.has(arg.valueName)) continue;
      let input = inputs.get(arg);
      if (!input) {
        input = graph.addPlaceholder(`${arg.valueName}__reference`);
        input.meta.dtype = arg.meta.dtype;
        input.meta.shape = [...reference.get(arg.valueName)!.dims];
        inputs.set(arg, input);
      }
      node.replaceInput(arg, input);
    }
  }
  graph.outputs = nodes;
  graph.outputNode.meta.outputValueInfos = [];
  return { model, nodes };
}

/** Per integer operator of the lowered model: how its outputs compare with the reference's on the same inputs. */
export async function compareLowered(qdq: Model, feeds: Record<string, Tensor>, threads = 1): Promise<NodeDiff[]> {
  const reference = await referenceIntegers(qdq, feeds);
  const { model, nodes } = isolated(qdq, reference);
  const session = await createSession(model, { threads });
  const inputFeeds: Record<string, Tensor> = { ...feeds };
  for (const name of session.inputNames) {
    if (name.endsWith("__reference")) inputFeeds[name] = reference.get(name.slice(0, -"__reference".length))!;
  }
  for (const name of Object.keys(inputFeeds)) if (!session.inputNames.includes(name)) delete inputFeeds[name];
  try {
    const out = await session.run(inputFeeds);
    return nodes.map((node) => {
      const mine = out[node.valueName]!.data as ArrayLike<number>;
      const ref = reference.get(node.valueName)!.data as ArrayLike<number>;
      let mismatches = 0;
      let maxSteps = 0;
      for (let i = 0; i < ref.length; i++) {
        const d = Math.abs(mine[i]! - ref[i]!);
        if (d) mismatches++;
        maxSteps = Math.max(maxSteps, d);
      }
      return { name: node.name, opType: node.opType, elements: ref.length, mismatches, maxSteps };
    });
  } finally {
    await session.release();
  }
}

/** A deterministic pseudo-random float input in [-1, 1). */
export function randomTensor(dims: number[], seed = 12345): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    x[i] = (s / 2 ** 32) * 2 - 1;
  }
  return new Tensor("float32", x, dims);
}
