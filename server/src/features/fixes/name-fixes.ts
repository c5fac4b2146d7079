import { closestNames, supportedOps, type Model } from "qkit/tooling";
import { fix, type Fixer } from "./fix.js";
import { morph } from "./source-edit.js";

const CANDIDATES: Record<string, (model: Model) => Iterable<string>> = {
  "unknown-node": (model) => model.graph.nodes.map((n) => n.name),
  "unknown-op-type": (model) => [...model.graph.calls().map((n) => n.opType), ...supportedOps()],
  "unknown-module": (model) => model.graph.calls().flatMap((n) => (n.meta.moduleStack ?? []).flatMap((f) => f.path.split(".").map((_, i, parts) => parts.slice(0, i + 1).join(".")))),
};

/** unknown-node, unknown-op-type, unknown-module: replace the string with each of the closest names the model has. */
export const nameFixes: Fixer = (input) => {
  const candidates = input.model && CANDIDATES[String(input.diagnostic.code)]?.(input.model);
  if (!candidates) return [];
  const { Node } = morph();
  const text = input.doc.getText().slice(input.offset + 1, input.doc.offsetAt(input.diagnostic.range.end) - 1);
  return closestNames(text, candidates).flatMap((name, i) =>
    fix(input, `Change to "${name}"`, (sf) => {
      const literal = sf.getDescendantAtPos(input.offset);
      if (!literal || !Node.isStringLiteral(literal)) return false;
      literal.setLiteralValue(name);
    }, i === 0),
  );
};
