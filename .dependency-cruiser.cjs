// The layer rules of ARCHITECTURE.md, checked by `npm test` (test/architecture.test.ts runs depcruise with this file).
// Data flows one way — model → graph → annotate → check → prepare → calibrate → convert → lower → run / export — and
// each rule below forbids one backward edge. A module path is relative to the repository root.
const SRC = "^runtime/src/";
const layer = (...folders) => `${SRC}(${folders.join("|")})`;

/** Everything above the IR: quantization, execution, user code, tools. */
const ABOVE_GRAPH = ["model\\.ts", "model-clone\\.ts", "model-io/", "quantizer/", "checker/", "observers/", "builtin/", "quantize/", "engine/", "lower/", "qkit-ops/", "data/", "eval/", "debug/", "config/", "user-code/", "pipeline/", "session/", "cli/", "index\\.ts", "tooling\\.ts"];

module.exports = {
  forbidden: [
    { name: "no-cycles", severity: "error", comment: "A cycle makes two layers one; break it by moving the shared part down.", from: {}, to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } } },
    {
      name: "onnx-knows-only-the-format", severity: "error",
      comment: "onnx/ reads and writes the file format; the IR is built above it (model-io/).",
      from: { path: `${SRC}onnx/` }, to: { path: SRC, pathNot: [`${SRC}onnx/`, `${SRC}(errors|source-location|lazy-builtins)\\.ts`] },
    },
    {
      name: "graph-knows-no-quantization", severity: "error",
      comment: "graph/ is the IR; annotations live in node.meta as opaque values.",
      from: { path: `${SRC}graph/` }, to: { path: layer(...ABOVE_GRAPH) },
    },
    {
      name: "observers-stand-alone", severity: "error",
      comment: "Observers see tensors and qparams only (their scans share the engine's WebAssembly loader, wasm/).",
      from: { path: `${SRC}observers/` }, to: { path: SRC, pathNot: [`${SRC}observers/`, `${SRC}(errors|quant-types)\\.ts`, `${SRC}wasm/`] },
    },
    {
      name: "wasm-loader-stands-alone", severity: "error",
      comment: "wasm/ loads compiled kernel modules for the engine and the observers; it knows neither.",
      from: { path: `${SRC}wasm/` }, to: { path: SRC, pathNot: [`${SRC}wasm/`, `${SRC}errors\\.ts`] },
    },
    {
      name: "qkit-ops-schema-is-shared-ground", severity: "error",
      comment: "The com.qkit schema is read by lower (to emit) and the engine (to validate); it imports neither.",
      from: { path: `${SRC}qkit-ops/` }, to: { path: layer("engine/", "lower/", "session/", "quantizer/", "checker/", "builtin/", "quantize/", "observers/", "data/", "eval/", "debug/", "config/", "user-code/", "pipeline/", "cli/") },
    },
    {
      name: "annotation-api-below-its-users", severity: "error",
      comment: "quantizer/ is the annotation API: the checker, the built-ins, prepare and the tools use it, not the reverse.",
      from: { path: `${SRC}quantizer/` }, to: { path: layer("checker/", "builtin/", "quantize/", "engine/", "lower/", "data/", "eval/", "debug/", "config/", "user-code/", "pipeline/", "session/", "cli/") },
    },
    {
      name: "checker-before-prepare", severity: "error",
      comment: "The one exception, the engine's elementwise-chain matcher (a pure pattern over the graph): coverage must count a SiLU/HardSwish/GELU chain as int8 exactly where lowering makes it one table, so both use the same matcher.",
      from: { path: `${SRC}checker/` }, to: { path: layer("builtin/", "quantize/", "engine/", "lower/", "data/", "eval/", "debug/", "config/", "user-code/", "pipeline/", "session/", "cli/"), pathNot: [`${SRC}engine/(fusion-eltwise|fusion|op|ops/fused|ops/math|ops/util|tensor|kernels/unary)\\.ts$`] },
    },
    {
      name: "builtins-use-the-public-annotation-api", severity: "error",
      comment: "Built-in quantizers are written as a user would write them.",
      from: { path: `${SRC}builtin/` }, to: { path: layer("checker/", "quantize/", "engine/", "lower/", "data/", "eval/", "debug/", "config/", "user-code/", "pipeline/", "session/", "cli/") },
    },
    {
      name: "engine-knows-no-quantization", severity: "error",
      comment: "The engine runs graphs; lowering Q/DQ to com.qkit is a policy above it (session/).",
      from: { path: `${SRC}engine/` }, to: { path: layer("lower/", "quantizer/", "checker/", "builtin/", "quantize/", "observers/", "data/", "eval/", "debug/", "config/", "user-code/", "pipeline/", "session/", "cli/") },
    },
    {
      name: "lower-below-its-callers", severity: "error",
      from: { path: `${SRC}lower/` }, to: { path: layer("quantizer/", "checker/", "builtin/", "quantize/", "data/", "eval/", "debug/", "config/", "user-code/", "pipeline/", "session/", "cli/") },
    },
    {
      name: "prepare-convert-below-the-tools", severity: "error",
      from: { path: `${SRC}quantize/` }, to: { path: layer("data/", "eval/", "debug/", "config/", "user-code/", "pipeline/", "cli/") },
    },
    {
      name: "only-the-cli-above-the-pipeline", severity: "error",
      from: { path: SRC, pathNot: [`${SRC}(cli|pipeline)/`, `${SRC}tooling\\.ts`] }, to: { path: `${SRC}(pipeline|cli)/` },
    },
    {
      name: "entry-points-are-not-imported-inside", severity: "error",
      comment: "index.ts (the author API) and tooling.ts are barrels for users; code inside imports the module it needs. The CLI's entry and its check sandbox's entry load index.ts once, to hand it to the user-module loader.",
      from: { path: SRC, pathNot: [`${SRC}tooling\\.ts`, `${SRC}cli/(main|check-worker)\\.ts`] }, to: { path: `${SRC}(index|tooling)\\.ts$` },
    },
    {
      name: "sandbox-stands-alone", severity: "error",
      comment: "sandbox/ runs user code in a supervised process for the CLI and the language server; it knows nothing of what runs there.",
      from: { path: `${SRC}sandbox/` }, to: { path: SRC, pathNot: [`${SRC}sandbox/`, `${SRC}(errors|source-location|lazy-builtins)\\.ts`] },
    },
    {
      name: "runtime-knows-no-editor", severity: "error",
      from: { path: "^runtime/" }, to: { path: ["^server/", "^client/", "(^|/)node_modules/(vscode-languageserver|vscode-languageclient|vscode-jsonrpc)", "^vscode$", "(^|/)node_modules/@types/vscode/"] },
    },
    {
      name: "server-knows-no-vscode", severity: "error",
      comment: "The language server serves any LSP client.",
      from: { path: "^server/" }, to: { path: ["^client/", "(^|/)node_modules/vscode-languageclient", "^vscode$", "(^|/)node_modules/@types/vscode/"] },
    },
    {
      name: "client-is-thin", severity: "error",
      comment: "The extension talks to the server through the shared protocol module only, and never runs the runtime itself.",
      from: { path: "^client/" }, to: { path: ["^runtime/", "(^|/)node_modules/qkit/", "^server/(?!dist/src/protocol\\.|src/protocol\\.)"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: ["(^|/)dist/", "/test/"] },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["types", "require", "node", "default"], extensions: [".ts", ".js", ".d.ts"] },
  },
};
