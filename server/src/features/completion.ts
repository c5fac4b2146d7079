import type * as ts from "typescript";
import { CompletionItemKind, type CompletionItem } from "vscode-languageserver";
import type { Model } from "qkit/tooling";
import { stringAt } from "../typescript/syntax-queries.js";
import { rangeOf } from "./diagnostics.js";

/**
 * Inside a string literal: the model's op types in a getSourcePartitions list, its node names anywhere else. Each
 * item replaces the whole string content, so names with slashes (/layer1/layer1.0/conv1/Conv) complete in one go.
 */
export function complete(sf: ts.SourceFile, offset: number, model: Model): CompletionItem[] {
  const str = stringAt(sf, offset);
  if (!str || str.moduleSpecifier || offset < str.contentStart || offset > str.contentEnd) return [];
  const range = rangeOf(sf, str.contentStart, str.contentEnd);
  if (str.inSourcePartitions) {
    const counts = new Map<string, number>();
    for (const node of model.graph.calls()) counts.set(node.opType, (counts.get(node.opType) ?? 0) + 1);
    return [...counts].map(([opType, count]) => ({
      label: opType,
      kind: CompletionItemKind.Class,
      detail: `${count} node${count === 1 ? "" : "s"} in the model`,
      textEdit: { range, newText: opType },
    }));
  }
  return model.graph.nodes
    .filter((n) => n.kind !== "output")
    .map((n, i) => ({
      label: n.name,
      kind: n.kind === "parameter" ? CompletionItemKind.Constant : n.kind === "placeholder" ? CompletionItemKind.Variable : CompletionItemKind.Function,
      detail: `${n.kind === "call" ? n.opType : n.kind} ${n.meta.dtype ?? ""}${n.meta.shape ? `[${n.meta.shape.join(",")}]` : ""}`.trim(),
      // Graph order, not alphabetical: the list reads like the model.
      sortText: String(i).padStart(6, "0"),
      filterText: n.name,
      textEdit: { range, newText: n.name },
    }));
}
