import { readFileSync, statSync } from "node:fs";
import * as ts from "typescript";
import type { OpenText } from "./language-service.js";

/**
 * Syntax trees for the server's features (hover, completion, code lens, where to underline a site): parsing one file
 * takes a millisecond or two, and a feature needs no program, so an edit's check places its findings without waiting
 * for the type-checker's program to be brought up to date. Trees are cached per document version (open files) or
 * modification time (files on disk).
 */
export class SyntaxTrees {
  readonly #cache = new Map<string, { stamp: string; sf: ts.SourceFile }>();

  constructor(private readonly open: (file: string) => OpenText | undefined) {}

  sourceFile(file: string): ts.SourceFile | undefined {
    const doc = this.open(file);
    let stamp: string;
    let text: string | undefined;
    if (doc) {
      stamp = `open:${doc.version}`;
      text = doc.text;
    } else {
      try {
        stamp = `disk:${statSync(file).mtimeMs}`;
      } catch {
        this.#cache.delete(file);
        return undefined;
      }
    }
    const cached = this.#cache.get(file);
    if (cached?.stamp === stamp) return cached.sf;
    text ??= readFileSync(file, "utf8");
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, file.endsWith("x") ? ts.ScriptKind.TSX : undefined);
    this.#cache.set(file, { stamp, sf });
    return sf;
  }

  forget(file: string): void {
    this.#cache.delete(file);
  }
}
