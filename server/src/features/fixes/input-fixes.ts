import type { Expression, SourceFile } from "ts-morph";
import type { Model } from "qkit/tooling";
import { fix, messageOf, type Fix, type FixInput, type Fixer } from "./fix.js";
import { editableSource, morph } from "./source-edit.js";
import { annotatedExpression, arrayOption, constructorAt, nodeNameOf, optionsObject } from "./syntax.js";

const ARGS = /^(.*)\.args\[(\d+)\]!?$/s;

/** The real inputs of a node: its argument positions and their names. */
function inputsOf(model: Model | undefined, name: string | undefined): { index: number; name: string }[] {
  const node = name ? model?.graph.node(name) : undefined;
  return node ? node.args.flatMap((a, index) => (a ? [{ index, name: a.name }] : [])) : [];
}

/** The key to replace in an inputQspecMap: the first not written `X.args[i]` for the annotated X. */
function badMapKey(sf: SourceFile, offset: number): { key: Expression; owner: string; taken: Set<number> } | undefined {
  const { Node } = morph();
  const call = constructorAt(sf, offset, "QuantizationAnnotation");
  const owner = call && annotatedExpression(call);
  const options = call && optionsObject(call);
  const entries = options && arrayOption(options, "inputQspecMap");
  if (!owner || !entries) return undefined;
  const keys = entries.getElements().flatMap((e) => (Node.isArrayLiteralExpression(e) && e.getElements()[0] ? [e.getElements()[0]!] : []));
  const taken = new Set<number>();
  let bad: Expression | undefined;
  for (const key of keys) {
    const match = ARGS.exec(key.getText());
    if (match && match[1] === owner) taken.add(Number(match[2]));
    else bad ??= key;
  }
  return bad ? { key: bad, owner, taken } : undefined;
}

/** input-not-an-argument, node-from-another-graph: key the entry by each input of the annotated node not yet keyed. */
export const mapKeyFixes: Fixer = (input) => {
  const found = badMapKey(editableSource(input.file, input.doc.getText()), input.offset);
  const owner = (input.diagnostic.data as { nodes?: string[] } | undefined)?.nodes?.[0];
  if (!found) return [];
  return inputsOf(input.model, owner)
    .filter((i) => !found.taken.has(i.index))
    .flatMap((i) => fix(input, `Key the entry by ${found.owner}.args[${i.index}] (${i.name})`, (sf) => void badMapKey(sf, input.offset)!.key.replaceWithText(`${found.owner}.args[${i.index}]!`)));
};

/** The edge `[producer, consumer]` that is not in the graph: a SharedQuantizationSpec's, or derivedFrom[i]. */
function badEdge(sf: SourceFile, offset: number, message: string): { producer: Expression; consumer: Expression } | undefined {
  const { Node } = morph();
  const index = /derivedFrom\[(\d+)\]/.exec(message);
  let edge: Expression | undefined;
  if (index) {
    const call = constructorAt(sf, offset, "DerivedQuantizationSpec");
    const options = call && optionsObject(call);
    edge = options && arrayOption(options, "derivedFrom")?.getElements()[Number(index[1])];
  } else {
    edge = constructorAt(sf, offset, "SharedQuantizationSpec")?.getArguments()[0] as Expression | undefined;
  }
  if (!edge || !Node.isArrayLiteralExpression(edge) || edge.getElements().length !== 2) return undefined;
  const [producer, consumer] = edge.getElements() as [Expression, Expression];
  return { producer, consumer };
}

/** edge-not-in-graph: make the edge's producer each real input of its consumer. */
export const edgeFixes: Fixer = (input: FixInput): Fix[] => {
  const found = badEdge(editableSource(input.file, input.doc.getText()), input.offset, messageOf(input.diagnostic));
  if (!found) return [];
  const consumer = found.consumer.getText();
  const name = nodeNameOf(found.consumer) ?? (input.diagnostic.data as { nodes?: string[] } | undefined)?.nodes?.[0];
  return inputsOf(input.model, name).flatMap((i) =>
    fix(input, `Use the edge ${consumer}.args[${i.index}] → ${consumer} (${i.name})`, (sf) => void badEdge(sf, input.offset, messageOf(input.diagnostic))!.producer.replaceWithText(`${consumer}.args[${i.index}]!`)),
  );
};
