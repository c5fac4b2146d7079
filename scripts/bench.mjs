// npm run bench -- NAME [args]: runs scripts/bench/NAME.mjs (fp32: the engine against ONNX Runtime; zoo: the whole model corpus; check: the
// quantizer checker). Benchmarks print tables; they assert nothing.
import { existsSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "bench");
const [name, ...rest] = process.argv.slice(2);
const available = readdirSync(dir).filter((f) => f.endsWith(".mjs")).map((f) => f.slice(0, -4));
if (!name || !existsSync(path.join(dir, `${name}.mjs`))) {
  console.error(`usage: npm run bench -- <${available.join("|")}> [options]`);
  process.exit(2);
}
process.argv = [process.argv[0], path.join(dir, `${name}.mjs`), ...rest];
await import(pathToFileURL(path.join(dir, `${name}.mjs`)).href);
