// Bundles the extension for the VSIX: the client and the language server (with its worker entry points) as
// single files in client/dist, the qkit runtime bundled as a package folder in client/dist/lib (its .wasm kernels
// and typings beside it) together with TypeScript and @types/node, which the server needs as files at run time.
// Nothing under node_modules is shipped; the server finds these through NODE_PATH (see src/language-client.ts).
// Run after `tsc -b` (the server and runtime entry points are their compiled files).
import { build } from "esbuild";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const dist = path.join(root, "client", "dist");
const lib = path.join(dist, "lib");
const require = createRequire(path.join(root, "server", "package.json"));
const common = { bundle: true, platform: "node", format: "cjs", target: "node20", sourcemap: false, logLevel: "warning", legalComments: "none" };

for (const sub of ["extension.js", "server", "lib", "webview"]) rmSync(path.join(dist, sub), { recursive: true, force: true });

await build({ ...common, entryPoints: [path.join(root, "client", "src", "extension.ts")], outfile: path.join(dist, "extension.js"), external: ["vscode"] });

// The graph panel's script, ELK included (a webview loads nothing from the network), and its stylesheet.
const webview = path.join(root, "client", "webview");
await build({ bundle: true, platform: "browser", format: "iife", target: "es2022", sourcemap: false, logLevel: "warning", legalComments: "none", minify: true, entryPoints: [path.join(webview, "src", "main.ts")], outfile: path.join(dist, "webview", "graph.js") });
cpSync(path.join(webview, "graph.css"), path.join(dist, "webview", "graph.css"));

// ts-morph (the scaffold and the server's quick fixes) carries a TypeScript copy of its own (@ts-morph/common/dist/typescript.js, the
// same minor version): it gets the one the server ships in lib/ instead, 9 MB less and one copy in memory.
const sharedTypeScript = {
  name: "shared-typescript",
  setup(b) {
    b.onResolve({ filter: /^\.\/typescript(\.js)?$/ }, (args) => (/[\\/]@ts-morph[\\/]common[\\/]/.test(args.importer) ? { path: "typescript", external: true } : undefined));
  },
};

// The server and its workers: one folder, since each finds its workers beside its own file.
const server = path.join(root, "server");
await build({
  ...common,
  entryPoints: {
    main: path.join(server, "bin", "qkit-language-server.js"),
    "check-worker": path.join(server, "dist", "src", "check", "check-worker.js"),
    "calibration-worker": path.join(server, "dist", "src", "calibration", "calibration-worker.js"),
    "model-load-worker": path.join(server, "dist", "src", "workspace", "model-load-worker.js"),
  },
  outdir: path.join(dist, "server"),
  // One copy of each, shared by the server and its workers, and resolvable by name as the server's code expects.
  external: ["qkit", "qkit/tooling", "typescript"],
  plugins: [sharedTypeScript],
});

// The runtime as a package folder: one bundle of "qkit/tooling" (which holds the author API), "qkit" its author API
// taken from that same bundle — two bundles would be two copies of every class, and specs would fail instanceof —
// typings beside them, the kernels the bundle loads.
const runtime = path.join(root, "runtime");
const qkit = path.join(lib, "qkit");
await build({
  ...common,
  entryPoints: { tooling: path.join(runtime, "dist", "src", "tooling.js"), worker: path.join(runtime, "dist", "src", "engine", "kernels", "worker.js") },
  outdir: path.join(qkit, "dist", "src"),
  external: ["typescript"],
  // ts-morph (qkit init, the server's fixes and its scaffold) comes with the runtime, on the shipped TypeScript.
  plugins: [sharedTypeScript],
});
const copyTypings = (from, to) => {
  for (const entry of readdirSync(from)) {
    const source = path.join(from, entry);
    if (statSync(source).isDirectory()) copyTypings(source, path.join(to, entry));
    else if (entry.endsWith(".d.ts")) {
      mkdirSync(to, { recursive: true });
      cpSync(source, path.join(to, entry));
    }
  }
};
copyTypings(path.join(runtime, "dist", "src"), path.join(qkit, "dist", "src"));
cpSync(path.join(runtime, "dist", "kernels"), path.join(qkit, "dist", "src", "kernels"), { recursive: true, filter: (f) => statSync(f).isDirectory() || f.endsWith(".wasm") });
writeFileSync(path.join(qkit, "dist", "src", "index.js"), '"use strict";\nmodule.exports = require("./tooling.js").authorApi();\n');
const { exports } = JSON.parse(readFileSync(path.join(runtime, "package.json"), "utf8"));
writeFileSync(path.join(qkit, "package.json"), JSON.stringify({ name: "qkit", version: "0.1.0", main: "dist/src/index.js", types: "dist/src/index.d.ts", exports }, null, 2));

// TypeScript: the library and its default lib typings; @types/node for quantizers that use Node's APIs.
const ts = path.dirname(require.resolve("typescript/package.json"));
cpSync(path.join(ts, "package.json"), path.join(lib, "typescript", "package.json"));
cpSync(path.join(ts, "lib"), path.join(lib, "typescript", "lib"), { recursive: true, filter: (f) => statSync(f).isDirectory() ? !/[\\/](cs|de|es|fr|it|ja|ko|pl|pt-br|ru|tr|zh-cn|zh-tw)$/.test(f) : /(^|[\\/])(typescript\.js|lib\.[^\\/]*\.d\.ts)$/.test(f) });
const types = path.dirname(createRequire(path.join(root, "package.json")).resolve("@types/node/package.json"));
cpSync(types, path.join(lib, "@types", "node"), { recursive: true, filter: (f) => statSync(f).isDirectory() || f.endsWith(".d.ts") || f.endsWith("package.json") });
console.log(`bundled the extension into ${path.relative(root, dist)}`);
