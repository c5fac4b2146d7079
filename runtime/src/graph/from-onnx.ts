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
    const param = graph.addParameter(name, tensor);
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
    return producer;
  });
  graph.outputNode.meta.outputValueInfos = outputInfos;
  graph.lint();
  return graph;
}

/** Kahn's algorithm, always taking the earliest ready node in file order, so sorted files keep their order. */
function topologicalOrder(nodes: onnx.INodeProto[], available: Set<string>): onnx.INodeProto[] {
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
  const ready: number[] = [];
  nodes.forEach((_, i) => waitingOn[i] === 0 && ready.push(i));
  const order: onnx.INodeProto[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => a - b);
    const next = ready.shift()!;
    order.push(nodes[next]!);
    for (const d of dependents[next]!) if (--waitingOn[d] === 0) ready.push(d);
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.find((_, i) => waitingOn[i]! > 0)!;
    throw new QkitError("bad-graph", `the graph has a cycle through node '${stuck.name || stuck.opType}'`);
  }
  return order;
}
