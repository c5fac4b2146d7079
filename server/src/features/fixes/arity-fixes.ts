import type { ArrayBindingPattern, ObjectLiteralExpression, SourceFile } from "ts-morph";
import { fix, type Fixer } from "./fix.js";
import { editableSource, morph } from "./source-edit.js";
import { arrayOption, constructorAt, optionsObject } from "./syntax.js";

/** The derive function's array pattern (`([act, w]) => …`, `function ([a, b])`, `deriveQparams([a, b]) {}`). */
function deriveParameters(options: ObjectLiteralExpression): ArrayBindingPattern | undefined {
  const { Node } = morph();
  const property = options.getProperty("deriveQparams");
  const fn = property && Node.isPropertyAssignment(property) ? property.getInitializer() : property;
  if (!fn || !(Node.isArrowFunction(fn) || Node.isFunctionExpression(fn) || Node.isMethodDeclaration(fn))) return undefined;
  const name = fn.getParameters()[0]?.getNameNode();
  return name && Node.isArrayBindingPattern(name) ? name : undefined;
}

function parts(sf: SourceFile, offset: number) {
  const call = constructorAt(sf, offset, "DerivedQuantizationSpec");
  const options = call && optionsObject(call);
  const sources = options && arrayOption(options, "derivedFrom");
  const pattern = options && deriveParameters(options);
  return sources && pattern ? { sources, pattern } : undefined;
}

/** Whether the function reads any name the pattern binds from the given element on. */
function usedNames(pattern: ArrayBindingPattern, from: number): boolean {
  const { Node, SyntaxKind } = morph();
  const fn = pattern.getParentOrThrow().getParentOrThrow();
  return pattern.getElements().slice(from).some((e) => {
    if (!Node.isBindingElement(e)) return false;
    const name = e.getName();
    return fn.getDescendantsOfKind(SyntaxKind.Identifier).some((id) => id.getText() === name && !pattern.containsRange(id.getPos(), id.getEnd()));
  });
}

/**
 * derived-arity-mismatch: make derivedFrom and the derive function's parameters agree, either way: drop the sources
 * the function never reads, or name them in its parameters; drop parameters no source feeds, when the body does not
 * read them.
 */
export const arityFixes: Fixer = (input) => {
  const { Node } = morph();
  const found = parts(editableSource(input.file, input.doc.getText()), input.offset);
  if (!found) return [];
  const sourceCount = found.sources.getElements().length;
  const arity = found.pattern.getElements().length;
  if (sourceCount > arity) {
    return [
      ...fix(input, `Derive from the first ${arity} source${arity === 1 ? "" : "s"} (drop derivedFrom[${arity}${sourceCount - arity > 1 ? `…${sourceCount - 1}` : ""}])`, (sf) => {
        const { sources } = parts(sf, input.offset)!;
        for (let i = sourceCount - 1; i >= arity; i--) sources.removeElement(i);
      }),
      ...fix(input, `Read all ${sourceCount} observers in deriveQparams`, (sf) => {
        const { pattern } = parts(sf, input.offset)!;
        const names = pattern.getElements().map((e) => e.getText());
        for (let i = arity; i < sourceCount; i++) names.push(`_source${i}`);
        pattern.replaceWithText(`[${names.join(", ")}]`);
      }),
    ];
  }
  if (sourceCount < arity && !usedNames(found.pattern, sourceCount)) {
    return fix(input, `Read only the ${sourceCount} observer${sourceCount === 1 ? "" : "s"} derivedFrom lists`, (sf) => {
      const { pattern } = parts(sf, input.offset)!;
      const names = pattern.getElements().slice(0, sourceCount).map((e) => (Node.isOmittedExpression(e) ? "" : e.getText()));
      pattern.replaceWithText(`[${names.join(", ")}]`);
    });
  }
  return [];
};
