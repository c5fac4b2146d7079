import type { onnx } from "../onnx/proto.js";
import { QkitError } from "../errors.js";
import { Graph } from "./graph.js";
import type { Node } from "./node.js";
import { moduleStackFromName } from "./module-stack.js";
import { typeFromValueInfo } from "./value-info.js";
import { tensorDataType, tensorDims } from "../onnx/tensor-data.js";

/**
 * Build the IR from a GraphProto: inputs become placeholders, initializers parameters, operators calls (with getitem
 * nodes for multi-output operators), in a topological order that keeps the file's order wherever it is valid.
 */
export function graphFromOnnx(proto: onnx.IGraphProto): Graph {
  const graph = new Graph();
  graph.name = proto.name ?? "";
  graph.docString = proto.docString ?? "";
  graph.passthrough.sparseInitializer.push(...(proto.sparseInitializer ?? []));
  graph.passthrough.quantizationAnnotation.push(...(proto.quantizationAnnotation ?? []));

  const initializers = new Map<string, onnx.ITensorProto>();
  for (const t of proto.initializer ?? []) initializers.set(t.name ?? "", t);
  const valueInfo = new Map<string, onnx.IValueInfoProto>();
  for (const vi of proto.valueInfo ?? []) valueInfo.set(vi.name ?? "", vi);

  const declare = (node: Node, info: onnx.IValueInfoProto | undefined) => {
    if (!info) return;
    node.meta.valueInfo = info;
    Object.assign(node.meta, typeFromValueInfo(info));
  };

  for (const input of proto.input ?? []) {
    const name = input.name ?? "";
    const init = initializers.get(name);
    if (init) {
      const param = graph.addParameter(name, init);
      param.meta.origin = "input-initializer";
      declare(param, input);
      initializers.delete(name);
    } else {
      declare(graph.addPlaceholder(name), input);
    }
  }
  for (const [name, tensor] of initializers) {
    // Before the output node is after the leading inputs and parameters here, found without a scan.
    const param = graph.addParameter(name, tensor, { before: graph.outputNode });
    param.meta.dtype = tensorDataType(tensor);
    param.meta.shape = tensorDims(tensor);
    declare(param, valueInfo.get(name));
  }

  for (const nodeProto of topologicalOrder(proto.node ?? [], new Set(graph.nodes.flatMap((n) => n.outputNames)))) {
    const args = (nodeProto.input ?? []).map((tensorName) => {
      if (tensorName === "") return null;
      const producer = graph.producerOf(tensorName);
      if (!producer) {
        throw new QkitError("bad-graph", `node '${nodeProto.name || nodeProto.opType}' reads tensor '${tensorName}', which no input, initializer or node produces`);
      }
      return producer;
    });
    const outputs = [...(nodeProto.output ?? [])];
    const call = graph.addCall(nodeProto.opType ?? "", args, {
      name: nodeProto.name || `${nodeProto.opType}_${outputs[0] ?? ""}`,
      domain: nodeProto.domain ?? "",
      attributes: nodeProto.attribute ?? [],
      outputNames: outputs.length > 0 ? outputs : [""],
    });
    call.docString = nodeProto.docString ?? "";
    const stack = moduleStackFromName(nodeProto.name ?? "");
    if (stack.length > 0) call.meta.moduleStack = stack;
    if (call.isMultiOutput) {
      for (const item of graph.getitems(call)) if (item) declare(item, valueInfo.get(item.valueName));
    } else {
      declare(call, valueInfo.get(call.valueName));
    }
  }

  const outputInfos: onnx.IValueInfoProto[] = [];
  graph.outputs = (proto.output ?? []).map((out) => {
    const producer = graph.producerOf(out.name ?? "");
    if (!producer) throw new QkitError("bad-graph", `graph output '${out.name}' is produced by no node, input or initializer`);
    outputInfos.push(out);
    // A graph output's declared type is the producer's too, where no value info said it (operators shape inference
    // has no rule for rely on it: a float16 model's outputs must come back float16).
    if (producer.meta.dtype === undefined) Object.assign(producer.meta, typeFromValueInfo(out));
    return producer;
  });
  graph.outputNode.meta.outputValueInfos = outputInfos;
  graph.lint();
  return graph;
}

/**
 * Kahn's algorithm, always taking the earliest ready node in file order, so sorted files keep their order. The ready
 * set is a binary min-heap of file positions: O(n log n) for any order, and one pass when the file is already sorted.
 */
export function topologicalOrder(nodes: onnx.INodeProto[], available: Set<string>, stats?: { heapSteps: number }): onnx.INodeProto[] {
  const producerIndex = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => o && producerIndex.set(o, i)));
  const waitingOn = nodes.map(() => 0);
  const dependents: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    const deps = new Set<number>();
    for (const input of n.input ?? []) {
      if (!input || available.has(input)) continue;
      const p = producerIndex.get(input);
      if (p !== undefined && p !== i) deps.add(p);
    }
    waitingOn[i] = deps.size;
    for (const d of deps) dependents[d]!.push(i);
  });
  const ready = new MinHeap();
  nodes.forEach((_, i) => waitingOn[i] === 0 && ready.push(i));
  const order: onnx.INodeProto[] = [];
  while (ready.size > 0) {
    const next = ready.pop();
    order.push(nodes[next]!);
    for (const d of dependents[next]!) if (--waitingOn[d] === 0) ready.push(d);
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.find((_, i) => waitingOn[i]! > 0)!;
    throw new QkitError("bad-graph", `the graph has a cycle through node '${stuck.name || stuck.opType}'`);
  }
  if (stats) stats.heapSteps += ready.steps;
  return order;
}

/** Integers, smallest first. */
class MinHeap {
  readonly #items: number[] = [];
  /** Sift steps taken so far: a test counts them to hold the sort to O(n log n). */
  steps = 0;

  get size(): number {
    return this.#items.length;
  }

  push(value: number): void {
    const items = this.#items;
    let i = items.length;
    items.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= value) break;
      items[i] = items[parent]!;
      i = parent;
      this.steps++;
    }
    items[i] = value;
  }

  pop(): number {
    const items = this.#items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= items.length) break;
        const child = left + 1 < items.length && items[left + 1]! < items[left]! ? left + 1 : left;
        if (items[child]! >= last) break;
        items[i] = items[child]!;
        i = child;
        this.steps++;
      }
      items[i] = last;
    }
    return top;
  }
}
