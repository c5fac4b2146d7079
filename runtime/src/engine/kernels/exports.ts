/**
 * How a kernel family declares the WebAssembly functions it calls: parameter names in the AssemblyScript order, and
 * whether the function takes a share of a parallel call (its last parameter is then a thread's private scratch).
 * The tables of all families (families.ts) are the engine's whole view of the module; a test holds them against the
 * instantiated module (names and arities), so a kernel whose signature changes fails the build's tests, not a run.
 */
export interface KernelExport {
  readonly params: readonly string[];
  readonly parallel?: boolean;
}

export type ExportTable = Readonly<Record<string, KernelExport>>;

/** One number per name of a parameter tuple. */
type Numbers<P extends readonly string[]> = { -readonly [I in keyof P]: number };
type Fn<E extends KernelExport> = (...args: Numbers<E["params"]>) => number;

/** The typed functions of an export table: one number per declared parameter. */
export type ExportsOf<T extends ExportTable> = { readonly [K in keyof T]: Fn<T[K]> };
