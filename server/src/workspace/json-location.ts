import * as ts from "typescript";
import type { Range } from "vscode-languageserver";

/**
 * The range of the value at a JSON path (["targets", 0, "model"]) in a JSON text, to underline a config problem
 * where it is. A path that does not exist (a missing field) falls back to the deepest part that does; a value that
 * spans lines is underlined on its first line only.
 */
export function jsonRange(text: string, jsonPath: (string | number)[]): Range {
  const sf = ts.parseJsonText("qkit.json", text);
  let node: ts.Node | undefined = sf.statements[0]?.expression;
  let found: ts.Node | undefined = node;
  for (const key of jsonPath) {
    if (!node) break;
    let next: ts.Node | undefined;
    if (typeof key === "number" && ts.isArrayLiteralExpression(node)) next = node.elements[key];
    if (typeof key === "string" && ts.isObjectLiteralExpression(node)) {
      const property: ts.ObjectLiteralElementLike | undefined = node.properties.find((p) => p.name && ts.isStringLiteral(p.name) && p.name.text === key);
      if (property && ts.isPropertyAssignment(property)) next = property.initializer;
    }
    node = next;
    if (node) found = node;
  }
  if (!found) return { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } };
  const start = sf.getLineAndCharacterOfPosition(found.getStart(sf));
  const end = sf.getLineAndCharacterOfPosition(found.end);
  if (end.line === start.line) return { start, end };
  const lineEnd = sf.text.indexOf("\n", found.getStart(sf));
  return { start, end: sf.getLineAndCharacterOfPosition(lineEnd < 0 ? sf.text.length : lineEnd) };
}
