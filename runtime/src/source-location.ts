import * as path from "node:path";

/**
 * A span of source text: 1-based lines and columns, the end just after the last character. A location known only
 * as a point (a stack frame) has its end equal to its start; editors widen a point to the expression starting there.
 *
 * In memory `file` is absolute (or a name in angle brackets, such as `<built-in xnnpack>`, that is no file). It is
 * made relative only where it leaves qkit: a file qkit writes stores it relative to that file's folder
 * (`relativeLocation`), the CLI prints it relative to the working directory (`formatLocation`).
 */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** A location known only by where it starts. */
export function pointLocation(file: string, line: number, column: number): SourceLocation {
  return { file, line, column, endLine: line, endColumn: column };
}

export function isPointLocation(location: SourceLocation): boolean {
  return location.endLine === location.line && location.endColumn === location.column;
}

const isFileName = (file: string) => !file.startsWith("<");

/** The location with its file relative to `root` (with `/` separators, so a written file reads the same everywhere). */
export function relativeLocation(location: SourceLocation, root: string): SourceLocation {
  if (!isFileName(location.file) || !path.isAbsolute(location.file)) return location;
  return { ...location, file: path.relative(root, location.file).split(path.sep).join("/") || location.file };
}

/** The inverse of relativeLocation: the file made absolute against `root`. */
export function absoluteLocation(location: SourceLocation, root: string): SourceLocation {
  if (!isFileName(location.file) || path.isAbsolute(location.file)) return location;
  return { ...location, file: path.resolve(root, location.file) };
}

/** `file:line:column` for text output, the file relative to `root` (the working directory unless told). */
export function formatLocation(location: SourceLocation | undefined, root = process.cwd()): string {
  if (!location) return "<unknown>";
  const { file, line, column } = relativeLocation(location, root);
  return `${file}:${line}:${column}`;
}
