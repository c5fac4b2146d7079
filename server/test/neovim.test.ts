import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { ROOT, positionOf } from "./helpers/lsp-client.js";
import { BROKEN, EXAMPLES, FMNIST, TUTORIAL, markers, tempWorkspace } from "./helpers/workspace.js";

/**
 * The server with a client that is not VS Code and not ours: headless Neovim (Debian's `neovim` package, 0.7.2 or
 * later) starts it over stdio, checks the diagnostic at the marked line of a broken quantizer and a hover, applies
 * quick fixes, navigates between a quantizer and its annotated graph, and writes a new quantizer for a model.
 */
const nvim = spawnSync("nvim", ["--version"], { encoding: "utf8" });
const skip = nvim.error || nvim.status !== 0 ? "needs nvim (the Debian package neovim) on PATH" : false;

test("headless Neovim: diagnostic at the marked line and a hover on a node name", { skip, timeout: 90_000 }, () => {
  const file = path.join(BROKEN, "shared-spec-cycle.ts");
  const text = readFileSync(file, "utf8");
  const [expected] = markers(text, "expect");
  const { dir, cleanup } = tempWorkspace([{ quantizer: file, model: FMNIST }]);
  try {
    const hoverAt = positionOf(text, '"/Add"', 2);
    const result = spawnSync("nvim", ["--headless", "--clean", "-c", `luafile ${path.join(ROOT, "server", "test", "neovim", "check-broken.lua")}`], {
      cwd: dir,
      encoding: "utf8",
      timeout: 80_000,
      env: {
        ...process.env,
        QKIT_SERVER_BIN: path.join(ROOT, "server", "bin", "qkit-language-server.js"),
        QKIT_WORKSPACE: dir,
        QKIT_FILE: file,
        QKIT_EXPECT_LINE: String(expected!.line),
        QKIT_EXPECT_CODE: expected!.code,
        QKIT_HOVER_LINE: String(hoverAt.line),
        QKIT_HOVER_COL: String(hoverAt.character),
        QKIT_HOVER_MATCH: "**Add** `/Add`",
      },
    });
    assert.equal(result.status, 0, `nvim: ${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout + result.stderr, new RegExp(`diagnostic shared-spec-cycle at line ${expected!.line}`));
  } finally {
    cleanup();
  }
});

test("headless Neovim: a quick fix applied through its LSP client clears the finding", { skip, timeout: 90_000 }, () => {
  const file = path.join(BROKEN, "quant-min-out-of-range.ts");
  const { dir, cleanup } = tempWorkspace([{ quantizer: file, model: FMNIST }]);
  try {
    const result = spawnSync("nvim", ["--headless", "--clean", "-c", `luafile ${path.join(ROOT, "server", "test", "neovim", "apply-fix.lua")}`], {
      cwd: dir,
      encoding: "utf8",
      timeout: 80_000,
      env: {
        ...process.env,
        QKIT_SERVER_BIN: path.join(ROOT, "server", "bin", "qkit-language-server.js"),
        QKIT_WORKSPACE: dir,
        QKIT_FILE: file,
        QKIT_EXPECT_CODE: "quant-range-outside-dtype",
      },
    });
    assert.equal(result.status, 0, `nvim: ${result.stdout}\n${result.stderr}`);
    const output = result.stdout + result.stderr;
    assert.match(output, /code action: Use int8's full range: quantMin -128, quantMax 127/);
    assert.match(output, /fixed: +quantMin: -128,/);
  } finally {
    cleanup();
  }
});

/** Runs a script of server/test/neovim in headless Neovim in `dir`; its output, after asserting it exited cleanly. */
function neovim(script: string, dir: string, env: Record<string, string>): string {
  const result = spawnSync("nvim", ["--headless", "--clean", "-c", `luafile ${path.join(ROOT, "server", "test", "neovim", script)}`], {
    cwd: dir,
    encoding: "utf8",
    timeout: 150_000,
    env: { ...process.env, QKIT_SERVER_BIN: path.join(ROOT, "server", "bin", "qkit-language-server.js"), QKIT_WORKSPACE: dir, ...env },
  });
  assert.equal(result.status, 0, `nvim: ${result.stdout}\n${result.stderr}`);
  return result.stdout + result.stderr;
}

test("headless Neovim: source.fixAll.qkit applied through its LSP client clears the finding", { skip, timeout: 90_000 }, () => {
  const file = path.join(BROKEN, "quant-min-out-of-range.ts");
  const { dir, cleanup } = tempWorkspace([{ quantizer: file, model: FMNIST }]);
  try {
    const output = neovim("apply-fix.lua", dir, { QKIT_FILE: file, QKIT_EXPECT_CODE: "quant-range-outside-dtype", QKIT_ACTION_KIND: "source.fixAll.qkit" });
    assert.match(output, /code action: Fix all qkit problems \(1\)/);
    assert.match(output, /fixed: +quantMin: -128,/);
  } finally {
    cleanup();
  }
});

const NAV_QUANTIZER = `import { HistogramObserver, QuantizationAnnotation, QuantizationSpec, Quantizer, getSourcePartitions, type GraphModule } from "qkit";

const act = new QuantizationSpec({ dtype: "int8", quantMin: -128, quantMax: 127, observer: HistogramObserver });

export default class NavQuantizer extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const relu = model.graph.node("/relu1/Relu")!;
    relu.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[relu.args[0]!, act]], outputQspec: act });
    void getSourcePartitions(model.graph, ["Relu"]);
    return model;
  }
}
`;

test("headless Neovim: definition from a node name into the annotated graph, a spec's references, symbols", { skip, timeout: 160_000 }, () => {
  const { dir, cleanup } = tempWorkspace([{ quantizer: "nav.ts", model: FMNIST }], { "nav.ts": NAV_QUANTIZER });
  try {
    const definition = positionOf(NAV_QUANTIZER, '"/relu1/Relu"', 3);
    const references = positionOf(NAV_QUANTIZER, "const act", 6);
    const output = neovim("navigate.lua", dir, {
      QKIT_FILE: path.join(dir, "nav.ts"),
      QKIT_DEFINITION_LINE: String(definition.line),
      QKIT_DEFINITION_COL: String(definition.character),
      QKIT_REFERENCES_LINE: String(references.line),
      QKIT_REFERENCES_COL: String(references.character),
    });
    // The jump lands in the graph buffer (named by its URI, not taken for a file), on the node's name.
    assert.match(output, /^definition: qkit-graph:\/\/\/nav\.qkit-graph\?file%3A\S+ \| \/relu1\/Relu: float32/m);
    assert.deepEqual(output.match(/^reference: .*$/gm)?.map((r) => r.replace(/ \(.*$/, "")), ["reference: ## input /conv1/Conv: QuantizationSpec int8", "reference: ## output: QuantizationSpec int8"]);
    assert.deepEqual(output.match(/^symbol: .*$/gm), ["symbol: act (QuantizationSpec) [] line 2", "symbol: NavQuantizer (extends Quantizer) [annotate] line 4"]);
    assert.match(output, new RegExp(`^workspace symbol: NavQuantizer at ${path.join(dir, "nav.ts").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:4$`, "m"));
  } finally {
    cleanup();
  }
});

test("headless Neovim: the qkit.scaffoldQuantizer command writes a quantizer for the model that checks clean", { skip, timeout: 160_000 }, () => {
  const { dir, cleanup } = tempWorkspace([]);
  try {
    const output = neovim("scaffold.lua", dir, { QKIT_MODEL: FMNIST });
    const written = path.join(dir, "fmnist_cnn_op13-quantizer.ts");
    assert.match(output, new RegExp(`^scaffold: ${written.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}, target added true$`, "m"));
    assert.ok(existsSync(written));
    assert.deepEqual(JSON.parse(readFileSync(path.join(dir, "qkit.json"), "utf8")).targets.map((t: { quantizer: string }) => t.quantizer), ["fmnist_cnn_op13-quantizer.ts"]);
    assert.match(output, /^check: done, 0 errors, [1-9]\d* of \d+ nodes annotated$/m);
    assert.match(output, /^error diagnostics: 0$/m);
  } finally {
    cleanup();
  }
});

test("headless Neovim: the Run calibration and Show annotated graph lenses run as the server's commands", { skip, timeout: 160_000 }, () => {
  const calibration = { data: path.join(EXAMPLES, "fashion-mnist", "calibration-images-idx3-ubyte.gz"), batchSize: 16, limit: 32, mean: 0.286, std: 0.353 };
  const { dir, cleanup } = tempWorkspace([{ quantizer: TUTORIAL, model: FMNIST, calibration, output: "out/fmnist.int8.onnx" } as never]);
  try {
    const output = neovim("calibrate.lua", dir, { QKIT_FILE: TUTORIAL });
    const written = path.join(dir, "out", "fmnist.int8.onnx");
    assert.match(output, /^lens: Run calibration -> qkit\.calibrate$/m);
    assert.match(output, /^lens: Show annotated graph -> qkit\.openGraph$/m);
    assert.match(output, new RegExp(`^calibrated: 32 samples, output ${written.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
    assert.ok(existsSync(written));
    assert.match(output, /^message: qkit: calibrated tutorial-quantizer\.ts on 32 samples; wrote /m);
    assert.match(output, /^graph: qkit-graph:\/\/\/tutorial-quantizer\.qkit-graph\?\S+, [1-9]\d* lines in buffer qkit-graph:/m);
  } finally {
    cleanup();
  }
});
