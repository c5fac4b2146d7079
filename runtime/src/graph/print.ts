import { attributeValue } from "../onnx/attributes.js";
import { tensorDataType, tensorDims, tensorValues } from "../onnx/tensor-data.js";
import type { Graph } from "./graph.js";
import type { Dim, Node } from "./node.js";

export interface PrintOptions {
  /** Extra text for a node, printed on the lines below it (e.g. its quantization annotation or qparams). */
  annotate?: (node: Node) => string[] | undefined;
}

const PLAIN_NAME = /^[A-Za-z0-9_./:\-]+$/;

/** `%name`, quoted when the name holds characters the text form uses itself. */
export function formatName(name: string): string {
  return PLAIN_NAME.test(name) ? `%${name}` : `%${JSON.stringify(name)}`;
}

export function formatShape(shape: readonly Dim[] | undefined): string {
  return shape ? `[${shape.join(",")}]` : "[?]";
}

export function formatType(node: Node): string {
  if (!node.meta.dtype && !node.meta.shape) return "";
  return `: ${node.meta.dtype ?? "?"}${formatShape(node.meta.shape)}`;
}

function formatNumber(x: number | bigint): string {
  if (typeof x === "bigint") return x.toString();
  return Number.isInteger(x) ? String(x) : String(Math.fround(x) === x ? Number(x.toPrecision(7)) : x);
}

function formatAttribute(value: unknown): string {
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(formatAttribute).join(",")}]`;
  if (value && typeof value === "object") {
    if ("dataType" in value || "dims" in value || "rawData" in value) {
      const t = value as Parameters<typeof tensorDims>[0];
      return `tensor<${tensorDataType(t)}${formatShape(tensorDims(t))}>`;
    }
    if ("node" in value) return `graph<${(value as { name?: string }).name ?? ""}>`;
  }
  return "?";
}

function formatParameter(node: Node): string {
  const tensor = node.tensor!;
  const origin = node.meta.origin === "constant" ? "constant" : "parameter";
  const dims = tensorDims(tensor);
  const count = dims.reduce((a, b) => a * b, 1);
  if (count > 8 || tensorDataType(tensor) === "string") return origin;
  try {
    const values = Array.from(tensorValues(tensor) as ArrayLike<number | bigint>, formatNumber);
    return `${origin} ${dims.length === 0 ? values[0] : `[${values.join(",")}]`}`;
  } catch {
    return origin;
  }
}

function formatCall(node: Node): string {
  const args = node.args.map((a) => (a ? formatName(a.name) : "_")).join(", ");
  const op = node.domain ? `${node.domain}::${node.opType}` : node.opType;
  const attrs = [...node.attributes.values()]
    .map((a) => `${a.name}=${formatAttribute(attributeValue(a))}`)
    .join(", ");
  return `${op}(${args})${attrs ? ` {${attrs}}` : ""}`;
}

/** The graph's stable text form, one node per line, readable like print(gm.graph). */
export function printGraph(graph: Graph, options: PrintOptions = {}): string {
  const lines: string[] = [];
  const inputs = graph.placeholders().map((p) => `${formatName(p.name)}${formatType(p)}`);
  lines.push(`graph ${JSON.stringify(graph.name)}(${inputs.join(", ")}) {`);
  for (const node of graph.nodes) {
    if (node.kind === "placeholder") continue;
    let line: string;
    switch (node.kind) {
      case "parameter":
        line = `${formatName(node.name)}${formatType(node)} = ${formatParameter(node)}`;
        break;
      case "call":
        line = node.isMultiOutput
          ? `${formatName(node.name)} = ${formatCall(node)}`
          : `${formatName(node.name)}${formatType(node)} = ${formatCall(node)}`;
        break;
      case "getitem":
        line = `${formatName(node.name)}${formatType(node)} = ${formatName(node.args[0]!.name)}[${node.index}]`;
        break;
      case "output":
        line = `return (${node.args.map((a) => (a ? formatName(a.name) : "_")).join(", ")})`;
        break;
      default:
        continue;
    }
    const module = node.meta.moduleStack?.at(-1)?.path;
    if (module && node.kind === "call") line += `  # ${module}`;
    lines.push(`  ${line}`);
    for (const extra of options.annotate?.(node) ?? []) lines.push(`    ## ${extra}`);
  }
  lines.push("}");
  return lines.join("\n");
}
