import type { Node } from "../graph/node.js";
import { onnx } from "../onnx/proto.js";
import { QKIT_DOMAIN, QKIT_SCHEMA, qkitInputName, type QkitAttributeType, type QkitOpSchema } from "./schema.js";

const AttrType = onnx.AttributeProto.AttributeType;
const ATTRIBUTE_TYPES: Record<QkitAttributeType, number> = {
  int: AttrType.INT, float: AttrType.FLOAT, string: AttrType.STRING, ints: AttrType.INTS,
};

/**
 * What is wrong with a com.qkit node against its schema (unknown op, a missing required input, too many inputs, an
 * unknown or mistyped attribute), as a phrase; undefined when it fits.
 */
export function qkitNodeProblem(node: Node): string | undefined {
  if (node.domain !== QKIT_DOMAIN) return undefined;
  const schema: QkitOpSchema | undefined = (QKIT_SCHEMA as Record<string, QkitOpSchema>)[node.opType];
  if (!schema) return `${QKIT_DOMAIN} has no operator ${node.opType}`;
  const args = node.args;
  const fixed = schema.inputs.length;
  const names = schema.inputs.map((entry) => qkitInputName(entry).name);
  const missing = (entries: readonly string[], offset: number) => {
    const i = entries.findIndex((entry, j) => !qkitInputName(entry).optional && !args[offset + j]);
    return i < 0 ? undefined : `missing input ${qkitInputName(entries[i]!).name} (position ${offset + i})`;
  };
  const problem = missing(schema.inputs, 0);
  if (problem) return problem;
  if (schema.repeated) {
    const extra = args.length - fixed;
    if (extra < schema.repeated.length || extra % schema.repeated.length !== 0) {
      return `has ${args.length} inputs; expected ${fixed} then groups of ${schema.repeated.length} (${schema.repeated.join(", ")})`;
    }
    for (let at = fixed; at < args.length; at += schema.repeated.length) {
      const groupProblem = missing(schema.repeated, at);
      if (groupProblem) return groupProblem;
    }
  } else if (args.length > fixed) {
    return `has ${args.length} inputs; ${node.opType} takes at most ${fixed} (${names.join(", ")})`;
  }
  for (const [name, attr] of node.attributes) {
    const type = schema.attributes[name];
    if (!type) return `has attribute '${name}', which ${node.opType} does not take (it takes: ${Object.keys(schema.attributes).join(", ") || "none"})`;
    // IR < 2 models leave attribute types unset; then only the name is checked.
    if (attr.type && attr.type !== ATTRIBUTE_TYPES[type]) return `attribute '${name}' must be ${type === "int" || type === "ints" ? `an ${type}` : `a ${type}`}`;
  }
  return undefined;
}
