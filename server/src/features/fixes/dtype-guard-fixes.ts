import type { NewExpression, SourceFile, Statement } from "ts-morph";
import { fix, type Fixer } from "./fix.js";
import { editableSource, morph } from "./source-edit.js";
import { annotatedExpression, constructorAt } from "./syntax.js";

/** The spec variable declared where the finding points (`const act = new QuantizationSpec(…)`), if any. */
function specVariable(sf: SourceFile, offset: number): string | undefined {
  const { Node } = morph();
  const spec = constructorAt(sf, offset, new Set(["QuantizationSpec", "FixedQParamsQuantizationSpec", "DerivedQuantizationSpec", "SharedQuantizationSpec"]));
  const declaration = spec?.getParent();
  return declaration && Node.isVariableDeclaration(declaration) ? declaration.getName() : undefined;
}

/** The annotation statements (`X.meta.quantizationAnnotation = new QuantizationAnnotation(…)`) that use the spec. */
function annotations(sf: SourceFile, offset: number): { statement: Statement; node: string }[] {
  const { Node, SyntaxKind } = morph();
  const own = constructorAt(sf, offset, "QuantizationAnnotation");
  const name = own ? undefined : specVariable(sf, offset);
  const calls: NewExpression[] = own
    ? [own]
    : sf.getDescendantsOfKind(SyntaxKind.NewExpression).filter((c) => c.getExpression().getText() === "QuantizationAnnotation" && !!name && c.getDescendantsOfKind(SyntaxKind.Identifier).some((id) => id.getText() === name));
  return calls.flatMap((call) => {
    const node = annotatedExpression(call);
    const statement = call.getParentWhile((p) => !Node.isStatement(p))?.getParent();
    return node && statement && Node.isExpressionStatement(statement) ? [{ statement, node }] : [];
  });
}

/**
 * A guard at the top of the loop that annotates (`if (SKIP) continue;`), else the annotation wrapped in `if (KEEP)`:
 * `skip` and `keep` give the two conditions for the annotated node's expression.
 */
function guardFixes(title: (nodes: string[]) => string, skip: (node: string) => string, keep: (node: string) => string): Fixer {
  return (input) => {
    const found = annotations(editableSource(input.file, input.doc.getText()), input.offset);
    if (!found.length) return [];
    const nodes = [...new Set(found.map((f) => f.node))];
    return fix(input, title(nodes), (sf) => {
      const { Node } = morph();
      // Last first: an edit never moves a statement still to be edited.
      for (const { statement, node } of annotations(sf, input.offset).reverse()) {
        const block = statement.getParent();
        const loop = block?.getParent();
        if (Node.isBlock(block) && loop && (Node.isForOfStatement(loop) || Node.isForStatement(loop) || Node.isForInStatement(loop) || Node.isWhileStatement(loop))) {
          block.insertStatements(statement.getChildIndex(), `if (${skip(node)}) continue;`);
        } else {
          statement.replaceWithText(`if (${keep(node)}) {\n${statement.getIndentationText()}  ${statement.getText()}\n${statement.getIndentationText()}}`);
        }
      }
    }, true);
  };
}

/** non-float-quantized: skip values that are not floating point, as the built-in quantizers do. */
export const dtypeGuardFixes: Fixer = guardFixes(
  (nodes) => `Skip values that are not floating point (${nodes.map((n) => `${n}.isFloatValue`).join(", ")})`,
  (node) => `!${node}.isFloatValue`,
  (node) => `${node}.isFloatValue`,
);

/** shape-operand-quantized: skip values that only decide shapes, as the built-in quantizers do. */
export const shapeOperandGuardFixes: Fixer = guardFixes(
  (nodes) => `Skip values that only decide shapes (${nodes.map((n) => `${n}.isShapeOperand`).join(", ")})`,
  (node) => `${node}.isShapeOperand`,
  (node) => `!${node}.isShapeOperand`,
);
