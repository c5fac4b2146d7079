import * as ts from "typescript";

/** A string literal the cursor is in, with the offsets of its content (between the quotes). */
export interface StringAtCursor {
  node: ts.StringLiteral | ts.NoSubstitutionTemplateLiteral;
  value: string;
  contentStart: number;
  contentEnd: number;
  /** The literal is an element of the op-type list of a getSourcePartitions(graph, [...]) call. */
  inSourcePartitions: boolean;
  /** The literal names a module (an import, export or require): never a node name. */
  moduleSpecifier: boolean;
}

function innermostAt(sf: ts.SourceFile, offset: number): ts.Node | undefined {
  let found: ts.Node | undefined;
  const visit = (node: ts.Node): void => {
    if (node.getStart(sf) <= offset && offset <= node.end) {
      found = node;
      ts.forEachChild(node, visit);
    }
  };
  ts.forEachChild(sf, visit);
  return found;
}

function calleeName(call: ts.CallExpression): string | undefined {
  const e = call.expression;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return undefined;
}

export function stringAt(sf: ts.SourceFile, offset: number): StringAtCursor | undefined {
  const node = innermostAt(sf, offset);
  if (!node || !(ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))) return undefined;
  const start = node.getStart(sf);
  const literal = node.getText(sf);
  // An unterminated literal (the user is still typing) runs to the end of the line: its content has no closing quote.
  const closed = literal.length >= 2 && literal.endsWith(literal[0]!);
  const array = node.parent;
  const call = array && ts.isArrayLiteralExpression(array) ? array.parent : undefined;
  const inSourcePartitions = !!call && ts.isCallExpression(call) && calleeName(call) === "getSourcePartitions" && call.arguments[1] === array;
  const parent = node.parent;
  const moduleSpecifier =
    ts.isImportDeclaration(parent) || ts.isExportDeclaration(parent) || ts.isExternalModuleReference(parent) || ts.isImportTypeNode(parent.parent) ||
    (ts.isCallExpression(parent) && (calleeName(parent) === "require" || parent.expression.kind === ts.SyntaxKind.ImportKeyword));
  return { node, value: node.text, contentStart: start + 1, contentEnd: closed ? node.end - 1 : node.end, inSourcePartitions, moduleSpecifier };
}

/** The first argument strings of `x.node("...")` calls: node names the quantizer looks up. */
export function nodeLookups(sf: ts.SourceFile): ts.StringLiteral[] {
  const found: ts.StringLiteral[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "node") {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteral(arg)) found.push(arg);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Op-type strings listed in getSourcePartitions(graph, [...]) calls. */
export function sourcePartitionOpTypes(sf: ts.SourceFile): ts.StringLiteral[] {
  const found: ts.StringLiteral[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && calleeName(node) === "getSourcePartitions") {
      const list = node.arguments[1];
      if (list && ts.isArrayLiteralExpression(list)) for (const e of list.elements) if (ts.isStringLiteral(e)) found.push(e);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

const SPEC_KINDS: Record<string, "observed" | "fixed" | "derived"> = {
  QuantizationSpec: "observed", FixedQParamsQuantizationSpec: "fixed", DerivedQuantizationSpec: "derived",
};

/** A spec constructor call with an object literal of options: each option's key node, and the literal values. */
export interface SpecLiteral {
  kind: "observed" | "fixed" | "derived";
  call: ts.NewExpression;
  keys: Map<string, ts.Node>;
  literals: Record<string, string | number | boolean>;
}

/** The value of a literal expression (`"int8"`, `-128`, `true`), or undefined for anything computed. */
function literalValue(e: ts.Expression): string | number | boolean | undefined {
  if (ts.isParenthesizedExpression(e)) return literalValue(e.expression);
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
  if (ts.isNumericLiteral(e)) return Number(e.text);
  if (e.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (e.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (ts.isPrefixUnaryExpression(e) && (e.operator === ts.SyntaxKind.MinusToken || e.operator === ts.SyntaxKind.PlusToken)) {
    const inner = literalValue(e.operand);
    if (typeof inner === "number") return e.operator === ts.SyntaxKind.MinusToken ? -inner : inner;
  }
  if (ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) return literalValue(e.expression);
  return undefined;
}

/** `new QuantizationSpec({ ... })` and its siblings, where the options are an object literal without spreads. */
export function specLiterals(sf: ts.SourceFile): SpecLiteral[] {
  const found: SpecLiteral[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node)) {
      const callee = ts.isIdentifier(node.expression) ? node.expression.text : ts.isPropertyAccessExpression(node.expression) ? node.expression.name.text : "";
      const kind = SPEC_KINDS[callee];
      const options = node.arguments?.[0];
      if (kind && options && ts.isObjectLiteralExpression(options) && options.properties.every((p) => !ts.isSpreadAssignment(p))) {
        const keys = new Map<string, ts.Node>();
        const literals: Record<string, string | number | boolean> = {};
        for (const p of options.properties) {
          const name = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
          if (name === undefined) continue;
          keys.set(name, p);
          const value = ts.isPropertyAssignment(p) ? literalValue(p.initializer) : undefined;
          if (value !== undefined) literals[name] = value;
        }
        found.push({ kind, call: node, keys, literals });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

export interface QuantizerClass {
  name: string;
  /** Offset of the declaration (its first modifier or the class keyword). */
  start: number;
  exported: boolean;
}

/** Classes that extend something named *Quantizer: what the code lens annotates and the static export check finds. */
export function quantizerClasses(sf: ts.SourceFile): QuantizerClass[] {
  const found: QuantizerClass[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isClassDeclaration(node) && node.name) {
      const base = node.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
      if (base && /Quantizer$/.test(base.getText(sf))) {
        const exported = !!node.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
        found.push({ name: node.name.text, start: node.getStart(sf), exported });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  // `export default Foo;` and `export { Foo }` export a class declared without the keyword.
  for (const statement of sf.statements) {
    if (ts.isExportAssignment(statement) && ts.isIdentifier(statement.expression)) {
      const c = found.find((q) => q.name === (statement.expression as ts.Identifier).text);
      if (c) c.exported = true;
    }
    if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      for (const e of statement.exportClause.elements) {
        const c = found.find((q) => q.name === (e.propertyName ?? e.name).text);
        if (c) c.exported = true;
      }
    }
  }
  return found;
}

/**
 * What to underline for a site (1-based line and column from a stack frame): the expression that starts there when
 * it fits on the line (`new SharedQuantizationSpec([b, add])`), `new Name` for a constructor call spanning lines,
 * `class Name` for a class site, else the word at the column.
 */
export function siteRange(sf: ts.SourceFile, line: number, column: number): { start: number; end: number } {
  const lines = sf.getLineStarts();
  const lineIndex = Math.min(Math.max(line - 1, 0), lines.length - 1);
  const lineStart = lines[lineIndex]!;
  const text = sf.text;
  let lineEnd = text.indexOf("\n", lineStart);
  if (lineEnd < 0) lineEnd = text.length;
  if (text[lineEnd - 1] === "\r") lineEnd--;
  const pos = Math.min(lineStart + Math.max(column - 1, 0), lineEnd);
  const classMatch = /^class\s+[\w$]+/.exec(text.slice(pos, lineEnd));
  if (classMatch) return { start: pos, end: pos + classMatch[0].length };
  const starting: ts.Node[] = [];
  const visit = (node: ts.Node): void => {
    const start = node.getStart(sf);
    if (start > pos || node.end < pos) return;
    if (start === pos) starting.push(node);
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(sf, visit);
  const oneLine = starting.find((n) => n.end <= lineEnd && !ts.isExpressionStatement(n) && !ts.isVariableStatement(n));
  if (oneLine) return { start: pos, end: oneLine.end };
  const spanning = starting.find((n): n is ts.NewExpression | ts.CallExpression => ts.isNewExpression(n) || ts.isCallExpression(n));
  if (spanning) return { start: pos, end: Math.min(spanning.expression.end, lineEnd) };
  const word = /^[\w$.!]+/.exec(text.slice(pos, lineEnd));
  if (word) return { start: pos, end: pos + word[0].length };
  // Nothing recognisable (a frame inside a template, say): the rest of the line, without trailing blanks.
  const rest = text.slice(pos, lineEnd).trimEnd();
  return rest ? { start: pos, end: pos + rest.length } : { start: lineStart, end: lineEnd };
}
