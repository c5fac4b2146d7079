import type { onnx } from "./proto.js";

/**
 * A maker of value names not yet used anywhere in `graph` or the subgraphs inside it (names are one scope in ONNX:
 * an inner graph may read an outer value by name, so a new name must clash with neither).
 */
export function freshNames(graph: onnx.IGraphProto): (base: string) => string {
  const names = new Set<string>();
  const collect = (g: onnx.IGraphProto) => {
    for (const t of g.initializer ?? []) names.add(t.name ?? "");
    for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) names.add(v.name ?? "");
    for (const node of g.node ?? []) {
      for (const o of node.output ?? []) names.add(o);
      for (const a of node.attribute ?? []) for (const inner of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) collect(inner);
    }
  };
  collect(graph);
  return (base) => {
    let name = base;
    for (let i = 1; names.has(name); i++) name = `${base}_${i}`;
    names.add(name);
    return name;
  };
}
