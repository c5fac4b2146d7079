// Writes the integer descriptor layouts of descriptors.json (the one source) as AssemblyScript constants
// (kernels/generated/descriptors.ts, for the kernels) and as a TypeScript object (src/engine/kernels/generated/
// descriptors.ts, for the host). The kernel build runs it; `--check` only compares, exiting 1 when either file is
// stale (a test runs that), so a layout edited on one side fails the tests instead of giving wrong integers.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const spec = JSON.parse(readFileSync(path.join(here, "descriptors.json"), "utf8"));
const header = "// Generated from kernels/descriptors.json by kernels/gen-descriptors.mjs: edit the JSON, not this file.\n";

function wrap(text, indent) {
  const words = text.split(" ");
  const lines = [];
  let line = "";
  for (const w of words) {
    if (line && indent.length + 3 + line.length + 1 + w.length > 118) { lines.push(line); line = w; } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.length === 1 ? `${indent}/** ${lines[0]} */\n` : `${indent}/**\n${lines.map((l) => `${indent} * ${l}\n`).join("")}${indent} */\n`;
}

let as = header;
let ts = header;
for (const [name, d] of Object.entries(spec)) {
  if (d.fields.length > d.ints) throw new Error(`${name}: ${d.fields.length} fields do not fit ${d.ints} ints`);
  as += `\n${wrap(d.what, "")}export namespace ${name} {\n`;
  d.fields.forEach(([field, what], i) => (as += `  /** ${what} */\n  export const ${field} = ${i};\n`));
  as += `  export const SIZE = ${d.ints};\n}\n`;
  ts += `\n${wrap(d.what, "")}export const ${name} = {\n`;
  d.fields.forEach(([field, what], i) => (ts += `  /** ${what} */\n  ${field}: ${i},\n`));
  ts += `  /** ints in the record */\n  SIZE: ${d.ints},\n} as const;\n`;
}

const outputs = [
  [path.join(here, "generated", "descriptors.ts"), as],
  [path.join(here, "..", "src", "engine", "kernels", "generated", "descriptors.ts"), ts],
];
if (process.argv.includes("--check")) {
  const stale = outputs.filter(([file, text]) => !existsSync(file) || readFileSync(file, "utf8") !== text).map(([file]) => path.relative(path.join(here, ".."), file));
  if (stale.length) {
    console.error(`descriptor layouts out of date with kernels/descriptors.json: ${stale.join(", ")}; run 'node runtime/kernels/gen-descriptors.mjs'`);
    process.exit(1);
  }
} else {
  for (const [file, text] of outputs) {
    mkdirSync(path.dirname(file), { recursive: true });
    if (!existsSync(file) || readFileSync(file, "utf8") !== text) writeFileSync(file, text);
  }
}
