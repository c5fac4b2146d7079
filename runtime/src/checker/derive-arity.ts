import { parseExpressionAt, type Node as AstNode, type Pattern } from "acorn";
import { ancestor } from "acorn-walk";

/**
 * How many observers a derive function reads, from its source: `([act, w]) => …` reads 2; `(obs) => … obs[2] …` reads
 * 3. Undefined when the source does not say (a rest element, the array passed on whole, native code).
 * TypeScript cannot catch a function that destructures fewer observers than `derivedFrom` has sources, so this does.
 * The function's source is JavaScript by the time it runs (quantizers are compiled), so a JavaScript parser reads it.
 */
export function deriveArity(fn: unknown): number | undefined {
  if (typeof fn !== "function") return undefined;
  const source = Function.prototype.toString.call(fn);
  if (source.includes("[native code]")) return undefined;
  // A quantizer usually derives every bias with one function: its source is parsed once.
  if (arities.has(source)) return arities.get(source);
  if (arities.size >= MAX_REMEMBERED) arities.clear();
  const arity = arityOfSource(source);
  arities.set(source, arity);
  return arity;
}

const MAX_REMEMBERED = 256;
const arities = new Map<string, number | undefined>();

function arityOfSource(source: string): number | undefined {
  const parsed = parseFunction(source);
  if (!parsed) return undefined;
  const [param] = parsed.params;
  if (!param) return 0;
  if (param.type === "ArrayPattern") return patternCount(param);
  if (param.type !== "Identifier") return undefined;
  const name = param.name;
  let highest = -1;
  let escapes = false;
  ancestor(parsed.body as AstNode, {
    Identifier(node, _state, ancestors) {
      if ((node as unknown as { name: string }).name !== name) return;
      const parent = ancestors[ancestors.length - 2] as (AstNode & Record<string, unknown>) | undefined;
      if (parent?.type === "MemberExpression" && parent.object === node) {
        const property = parent.property as AstNode & { value?: unknown; name?: string };
        if (parent.computed && property.type === "Literal" && typeof property.value === "number") highest = Math.max(highest, property.value);
        else if (!parent.computed && property.name === "length") return;
        else escapes = true;
        return;
      }
      if (parent?.type === "VariableDeclarator" && parent.init === node && (parent.id as Pattern).type === "ArrayPattern") {
        const count = patternCount(parent.id as Pattern);
        if (count === undefined) escapes = true;
        else highest = Math.max(highest, count - 1);
        return;
      }
      escapes = true;
    },
  });
  if (escapes || highest < 0) return undefined;
  return highest + 1;
}

function patternCount(pattern: Pattern): number | undefined {
  if (pattern.type !== "ArrayPattern") return undefined;
  if (pattern.elements.some((e) => e?.type === "RestElement")) return undefined;
  return pattern.elements.length;
}

interface FunctionLike {
  params: Pattern[];
  body: AstNode;
}

function parseFunction(source: string): FunctionLike | undefined {
  // A function or arrow is an expression; a method (`deriveQparams([a, b]) { … }`) only parses inside an object.
  for (const [wrapped, unwrap] of [
    [`(${source})`, (e: AstNode) => e],
    [`({ ${source} })`, (e: AstNode) => (e as unknown as { properties: { value: AstNode }[] }).properties[0]?.value],
  ] as const) {
    try {
      const expression = unwrap(parseExpressionAt(wrapped, 0, { ecmaVersion: "latest" }));
      if (expression && (expression.type === "ArrowFunctionExpression" || expression.type === "FunctionExpression")) return expression as unknown as FunctionLike;
    } catch {
      // Not this shape; try the next.
    }
  }
  return undefined;
}
