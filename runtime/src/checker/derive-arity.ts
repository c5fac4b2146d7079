import type * as TS from "typescript";

/**
 * How many observers a derive function reads, from its source: `([act, w]) => …` reads 2; `(obs) => … obs[2] …` reads
 * 3. Undefined when the source does not say (a rest element, the array passed on whole, native code).
 * TypeScript cannot catch a function that destructures fewer observers than `derivedFrom` has sources, so this does.
 */
export function deriveArity(fn: unknown): number | undefined {
  if (typeof fn !== "function") return undefined;
  const source = Function.prototype.toString.call(fn);
  if (source.includes("[native code]")) return undefined;
  const ts: typeof TS = require("typescript");
  const parsed = parseFunction(ts, source);
  if (!parsed || parsed.parameters.length === 0) return 0;
  const param = parsed.parameters[0]!;
  if (ts.isArrayBindingPattern(param.name)) return bindingCount(ts, param.name);
  if (!ts.isIdentifier(param.name)) return undefined;
  const name = param.name.text;
  let highest = -1;
  let escapes = false;
  const visit = (node: TS.Node): void => {
    if (ts.isElementAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === name) {
      if (ts.isNumericLiteral(node.argumentExpression)) highest = Math.max(highest, Number(node.argumentExpression.text));
      else escapes = true;
      return;
    }
    if (ts.isVariableDeclaration(node) && ts.isArrayBindingPattern(node.name) && node.initializer && ts.isIdentifier(node.initializer) && node.initializer.text === name) {
      const count = bindingCount(ts, node.name);
      if (count === undefined) escapes = true;
      else highest = Math.max(highest, count - 1);
      return;
    }
    if (ts.isIdentifier(node) && node.text === name && !(ts.isPropertyAccessExpression(node.parent) && node.parent.expression === node && node.parent.name.text === "length")) {
      if (node !== param.name) escapes = true;
    }
    ts.forEachChild(node, visit);
  };
  if (parsed.body) visit(parsed.body);
  if (escapes || highest < 0) return undefined;
  return highest + 1;
}

function bindingCount(ts: typeof TS, pattern: TS.ArrayBindingPattern): number | undefined {
  const elements = pattern.elements;
  if (elements.some((e) => ts.isBindingElement(e) && e.dotDotDotToken)) return undefined;
  return elements.length;
}

type FunctionLike = TS.ArrowFunction | TS.FunctionExpression | TS.MethodDeclaration;

function parseFunction(ts: typeof TS, source: string): FunctionLike | undefined {
  // A function or arrow is an expression; a method (`deriveQparams([a, b]) { … }`) only parses inside a class body.
  for (const wrapped of [`(${source})`, `class X { ${source} }`]) {
    const file = ts.createSourceFile("derive.ts", wrapped, ts.ScriptTarget.ES2022, true);
    let found: FunctionLike | undefined;
    const visit = (node: TS.Node) => {
      if (found) return;
      if (ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isMethodDeclaration(node)) found = node;
      else ts.forEachChild(node, visit);
    };
    visit(file);
    if (found && (file as unknown as { parseDiagnostics: unknown[] }).parseDiagnostics.length === 0) return found;
  }
  return undefined;
}
