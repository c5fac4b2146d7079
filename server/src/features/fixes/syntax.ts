import type { ArrayLiteralExpression, Expression, NewExpression, Node as MorphNode, ObjectLiteralExpression, SourceFile } from "ts-morph";
import { morph } from "./source-edit.js";

const SPEC_CLASSES = new Set(["QuantizationSpec", "FixedQParamsQuantizationSpec", "DerivedQuantizationSpec", "SharedQuantizationSpec"]);

function className(call: NewExpression): string {
  const callee = call.getExpression();
  const { Node } = morph();
  return Node.isPropertyAccessExpression(callee) ? callee.getName() : callee.getText();
}

/** The innermost `new C(...)` around an offset (or starting on its line, for a site at `new`), C one of the given classes. */
export function constructorAt(sf: SourceFile, offset: number, classes: ReadonlySet<string> | string): NewExpression | undefined {
  const { Node } = morph();
  const wanted = typeof classes === "string" ? new Set([classes]) : classes;
  const at = sf.getDescendantAtPos(offset);
  for (let node: MorphNode | undefined = at; node; node = node.getParent()) {
    if (Node.isNewExpression(node) && wanted.has(className(node))) return node;
  }
  // A site at the start of a statement (`const spec = new …`): the first such call starting after it on its line.
  const line = sf.getFullText().indexOf("\n", offset);
  return sf.getDescendants().find((n): n is NewExpression => Node.isNewExpression(n) && n.getStart() >= offset && (line < 0 || n.getStart() < line) && wanted.has(className(n)));
}

export function specAt(sf: SourceFile, offset: number): NewExpression | undefined {
  return constructorAt(sf, offset, SPEC_CLASSES);
}

export const specClassName = className;

function unwrap(e: MorphNode | undefined): MorphNode | undefined {
  const { Node } = morph();
  while (e && (Node.isParenthesizedExpression(e) || Node.isAsExpression(e) || Node.isSatisfiesExpression(e) || Node.isNonNullExpression(e))) e = e.getExpression();
  return e;
}

/** A variable's initializer, when the name is declared once in the file. */
function initializerOf(sf: SourceFile, name: string): MorphNode | undefined {
  const { SyntaxKind } = morph();
  const declarations = sf.getDescendantsOfKind(SyntaxKind.VariableDeclaration).filter((d) => d.getName() === name);
  return declarations.length === 1 ? declarations[0]!.getInitializer() : undefined;
}

/** The options object of a constructor call: the literal itself, or the literal a `const` passed to it was given. */
export function optionsObject(call: NewExpression): ObjectLiteralExpression | undefined {
  const { Node } = morph();
  let arg = unwrap(call.getArguments()[0]);
  if (arg && Node.isIdentifier(arg)) arg = unwrap(initializerOf(call.getSourceFile(), arg.getText()));
  return arg && Node.isObjectLiteralExpression(arg) ? arg : undefined;
}

/** The initializer of an option given as `name: value`. */
export function optionValue(options: ObjectLiteralExpression, name: string): Expression | undefined {
  const { Node } = morph();
  const property = options.getProperty(name);
  return property && Node.isPropertyAssignment(property) ? property.getInitializer() : undefined;
}

export function arrayOption(options: ObjectLiteralExpression, name: string): ArrayLiteralExpression | undefined {
  const { Node } = morph();
  const value = unwrap(optionValue(options, name));
  return value && Node.isArrayLiteralExpression(value) ? value : undefined;
}

/** Set an option to an expression, adding it when absent; returns the object, which a one-line object is replaced by. */
export function setOption(options: ObjectLiteralExpression, name: string, initializer: string): ObjectLiteralExpression {
  const { Node } = morph();
  const property = options.getProperty(name);
  if (property && Node.isPropertyAssignment(property)) property.setInitializer(initializer);
  else if (property) property.replaceWithText(`${name}: ${initializer}`);
  // ts-morph would break a one-line object over lines; one stays one.
  else if (!options.getText().includes("\n")) return options.replaceWithText(`{ ${[...options.getProperties().map((p) => p.getText()), `${name}: ${initializer}`].join(", ")} }`) as ObjectLiteralExpression;
  else options.addPropertyAssignment({ name, initializer });
  return options;
}

/** The literal value of an expression (`"int8"`, `-128`), or undefined when computed. */
export function literalOf(e: MorphNode | undefined): string | number | undefined {
  const { Node, SyntaxKind } = morph();
  e = unwrap(e);
  if (!e) return undefined;
  if (Node.isStringLiteral(e) || Node.isNoSubstitutionTemplateLiteral(e)) return e.getLiteralText();
  if (Node.isNumericLiteral(e)) return e.getLiteralValue();
  if (Node.isPrefixUnaryExpression(e) && e.getOperatorToken() === SyntaxKind.MinusToken) {
    const inner = literalOf(e.getOperand());
    return typeof inner === "number" ? -inner : undefined;
  }
  return undefined;
}

/**
 * The graph node an expression names, when the file says: `model.graph.node("/fc/Gemm")!` itself, or a `const` holding
 * it. Undefined for anything computed.
 */
export function nodeNameOf(e: MorphNode | undefined, depth = 0): string | undefined {
  const { Node } = morph();
  e = unwrap(e);
  if (!e || depth > 4) return undefined;
  if (Node.isCallExpression(e)) {
    const callee = e.getExpression();
    const arg = e.getArguments()[0];
    if (Node.isPropertyAccessExpression(callee) && callee.getName() === "node" && arg && Node.isStringLiteral(arg)) return arg.getLiteralText();
    return undefined;
  }
  if (Node.isIdentifier(e)) return nodeNameOf(initializerOf(e.getSourceFile(), e.getText()), depth + 1);
  return undefined;
}

/** `X.meta.quantizationAnnotation = <call>`: the text of X, the node the annotation is for. */
export function annotatedExpression(call: NewExpression): string | undefined {
  const { Node, SyntaxKind } = morph();
  const assignment = call.getParentIfKind(SyntaxKind.BinaryExpression);
  const left = assignment?.getOperatorToken().getKind() === SyntaxKind.EqualsToken ? assignment.getLeft() : undefined;
  if (!left || !Node.isPropertyAccessExpression(left) || left.getName() !== "quantizationAnnotation") return undefined;
  const meta = left.getExpression();
  return Node.isPropertyAccessExpression(meta) && meta.getName() === "meta" ? meta.getExpression().getText() : undefined;
}
