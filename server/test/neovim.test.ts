import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { ROOT, positionOf } from "./helpers/lsp-client.js";
import { BROKEN, FMNIST, markers, tempWorkspace } from "./helpers/workspace.js";

/**
 * The server with a client that is not VS Code and not ours: headless Neovim (Debian's `neovim` package, 0.7.2 or
 * later) starts it over stdio, checks the diagnostic at the marked line of a broken quantizer and a hover.
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
