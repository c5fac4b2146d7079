// UI smoke test: the installed VSIX in code-server's workbench, driven like a person would with headless Chromium.
// Every step saves a screenshot: they are the evidence that someone sees the right thing.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import assert from "node:assert/strict";
import { installExtension, launchBrowser, startCodeServer } from "./code-server.mjs";
import { makeFixture, removeFixture } from "./fixture.mjs";
import { ROOT } from "./toolchain.mjs";

/** ResNet-18 from the shared corpus, when this machine has it: the graph view's folded modules are shown on it. */
const RESNET = path.join(process.env.QKIT_SHARED_MODELS ?? path.join(ROOT, "..", "shared", "models"), "resnet18_op13.onnx");

/** A target for ResNet-18 with the XNNPACK quantizer, beside the fixture's; a check of it may take a while here. */
function addResnetTarget(folder) {
  writeFileSync(path.join(folder, "quantizers", "resnet.ts"), 'import { XnnpackQuantizer } from "qkit";\n\nexport default class ResnetQuantizer extends XnnpackQuantizer {}\n');
  const config = JSON.parse(readFileSync(path.join(folder, "qkit.json"), "utf8"));
  config.targets.push({ quantizer: "quantizers/resnet.ts", model: RESNET });
  writeFileSync(path.join(folder, "qkit.json"), JSON.stringify(config, null, 2));
  const settings = path.join(folder, ".vscode", "settings.json");
  writeFileSync(settings, JSON.stringify({ ...JSON.parse(readFileSync(settings, "utf8")), "qkit.checkTimeoutMs": 60000 }, null, 2));
}

/** The graph panel's document: the webview is an iframe holding the panel's own iframe. */
function graphView(page) {
  return page.locator("iframe.webview.ready").last().contentFrame().locator("#active-frame").contentFrame();
}

async function openFile(page, name) {
  const row = page.locator(".explorer-folders-view .monaco-list-row", { hasText: name }).first();
  await row.waitFor({ timeout: 30_000 });
  await row.click();
  await page.locator(".tabs-container .tab.active", { hasText: name }).waitFor({ timeout: 20_000 });
}

async function runCommand(page, title, { exact = false } = {}) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible" });
  await input.fill(`>${title}`);
  const row = page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first();
  await row.waitFor({ timeout: 20_000 });
  // Recently used commands come first: a title that is the prefix of a longer one's words is picked by name.
  if (exact) await page.locator(".quick-input-list .monaco-list-row", { has: page.locator(".label-name", { hasText: new RegExp(`^${title}$`) }) }).first().click();
  else await page.keyboard.press("Enter");
}

/** Go to a (1-based) line of the active editor and rest the mouse on it, `dx` pixels into the text. */
async function hoverLine(page, lineNumber, dx) {
  await page.keyboard.press("Control+G");
  await page.locator(".quick-input-widget input").fill(`:${lineNumber}`);
  await page.keyboard.press("Enter");
  await page.waitForTimeout(300);
  const line = await page.locator(".monaco-editor.focused .view-overlays .current-line").first().boundingBox();
  const text = await page.locator(".monaco-editor.focused .view-lines").first().boundingBox();
  await page.mouse.move(text.x + dx, line.y + line.height / 2);
  await page.mouse.move(text.x + dx + 3, line.y + line.height / 2);
}

/**
 * Reloads the window (Developer: Reload Window, which saves the workbench's state first): the graph panel comes back
 * through the extension's serializer and the webview's saved state, showing the same model with the same modules
 * unfolded and the same colouring (asserted on the DOM). `editor` is a text editor's tab, clicked to take the focus
 * from the webview.
 */
async function reloadRestoresGraph(page, { editor, model, frames, colour }) {
  let graph = graphView(page);
  const units = await graph.locator("#canvas").getAttribute("data-units");
  await page.locator(`.tabs-container .tab[data-resource-name="${editor}"]`).first().click();
  const reloaded = page.waitForEvent("load", { timeout: 120_000 });
  await runCommand(page, "Developer: Reload Window");
  await reloaded;
  await page.locator(".monaco-workbench").waitFor({ timeout: 90_000 });
  await page.locator(".tabs-container .tab", { hasText: "Graph · " }).first().waitFor({ timeout: 90_000 });
  graph = graphView(page);
  // The restored panel draws once the new server has checked the quantizer again.
  await graph.locator("#canvas[data-units] g.unit").first().waitFor({ timeout: 180_000 });
  assert.match(await graph.locator("#summary").innerText(), new RegExp(`^${model.replace(/\./g, "\\.")} · `));
  for (const frame of frames) assert.equal(await graph.locator(`g.frame[data-frame="${frame}"]`).count(), 1, `module ${frame} is still unfolded`);
  assert.equal(await graph.locator("#canvas").getAttribute("data-units"), units, "as many boxes as before the reload");
  assert.equal(await graph.locator("#colour").inputValue(), colour);
}

export async function uiSmoke({ vsix, artifacts, log }) {
  mkdirSync(artifacts, { recursive: true });
  const run = mkdtempSync(path.join(tmpdir(), "qkui-"));
  const folder = makeFixture("ui");
  const resnet = existsSync(RESNET);
  if (resnet) addResnetTarget(folder);
  else log(`no ${RESNET}: the folded-module screenshots use the shipped CNN\n`);
  const extensionsDir = path.join(run, "exts");
  await installExtension({ run, vsix, extensionsDir, log });
  const server = await startCodeServer({ run, folder, extensionsDir, log: (m) => process.env.QKIT_E2E_VERBOSE && process.stderr.write(m) });
  const browser = await launchBrowser(path.join(run, "profile"));
  const page = browser.pages()[0] ?? (await browser.newPage());
  let step = 0;
  const shot = async (name) => {
    const file = path.join(artifacts, `${String(++step).padStart(2, "0")}-${name}.png`);
    await page.screenshot({ path: file });
    log(`screenshot ${path.basename(file)}\n`);
  };
  try {
    await page.goto(`${server.url}/?folder=${encodeURIComponent(folder)}`);
    await page.locator(".monaco-workbench").waitFor({ timeout: 90_000 });
    await page.locator(".statusbar-item", { hasText: "qkit:" }).first().waitFor({ timeout: 90_000 });
    await shot("workbench");

    // The explorer shows the quantizers folder's files once it is expanded.
    await page.locator(".explorer-folders-view .monaco-list-row", { hasText: "quantizers" }).first().click();
    await openFile(page, "broken.ts");
    await page.locator(".monaco-editor .squiggly-error").first().waitFor({ timeout: 90_000 });
    await page.locator(".monaco-editor .codelens-decoration", { hasText: "left float" }).first().waitFor({ timeout: 30_000 });
    await shot("broken-quantizer-squiggle");

    await page.keyboard.press("Control+Shift+M");
    const problem = page.locator(".markers-panel .monaco-list-row", { hasText: "quantMin -200" }).first();
    await problem.waitFor({ timeout: 30_000 });
    // The option itself (line 6 of examples/broken/quant-min-out-of-range.ts), not the spec's constructor on line 4.
    assert.match(await problem.innerText(), /\[Ln 6, Col 3\]/);
    await shot("problems-panel");
    await page.keyboard.press("Control+Shift+M");

    await openFile(page, "tutorial-quantizer.ts");
    await page.locator(".statusbar-item", { hasText: /tutorial-quantizer\.ts · fmnist\.onnx · ok/ }).first().waitFor({ timeout: 90_000 });
    await runCommand(page, "qkit: Run calibration");
    const toast = page.locator(".notifications-toasts .notification-toast", { hasText: "calibrating tutorial-quantizer.ts" }).first();
    await toast.waitFor({ timeout: 60_000 });
    await page.locator(".notifications-toasts .notification-toast", { hasText: /samples\/s/ }).first().waitFor({ timeout: 60_000 }).catch(() => {});
    await shot("calibration-progress");
    await page.locator(".notifications-toasts .notification-toast", { hasText: "calibrated on 512 samples" }).first().waitFor({ timeout: 180_000 });
    await shot("calibration-done");

    await hoverLine(page, 20, 220);
    const hover = page.locator(".monaco-hover:not(.hidden)", { hasText: "Calibration" }).first();
    await hover.waitFor({ timeout: 30_000 });
    await hover.locator("img").first().waitFor({ timeout: 10_000 });
    await page.waitForTimeout(600); // the hover fades in
    await shot("qparam-hover-histogram");
    await page.keyboard.press("Escape");

    await runCommand(page, "qkit: Show annotated graph");
    await page.locator(".tabs-container .tab.active", { hasText: "tutorial-quantizer.qkit-graph" }).waitFor({ timeout: 30_000 });
    await page.locator(".monaco-editor .view-line", { hasText: "#=" }).first().waitFor({ timeout: 30_000 });
    await shot("annotated-graph");

    // The graph panel: SQNR colouring after calibration, a node's histogram, and the way back to the code.
    await runCommand(page, "View: Close All Editors");
    await page.locator(".tabs-container .tab").first().waitFor({ state: "detached", timeout: 20_000 });
    await openFile(page, "tutorial-quantizer.ts");
    await runCommand(page, "qkit: Show graph", { exact: true });
    let graph = graphView(page);
    await graph.locator('g.unit[data-node="/conv1/Conv"]').waitFor({ timeout: 60_000 });
    assert.match(await graph.locator("#summary").innerText(), /calibrated on 512 samples/);
    await graph.locator("#colour").selectOption("sqnr");
    await graph.locator('g.unit[data-node="/conv1/Conv"] .sqnr-value').waitFor({ timeout: 20_000 });
    assert.ok((await graph.locator("g.unit[data-sqnr]").count()) >= 10, "the compared nodes carry their SQNR");
    assert.match(await graph.locator('g.unit[data-node="/conv1/Conv"] rect.box').getAttribute("fill"), /^hsl\(/);
    await graph.locator('g.unit[data-node="/conv2/Conv"]').click();
    await graph.locator("#details svg.histogram").first().waitFor({ timeout: 20_000 });
    assert.equal(await graph.locator("#details svg.histogram").first().locator(".clip-line").count(), 2, "the clip range's two ends");
    // The click opened the line that annotated the node; the cursor there marks the nodes that line annotated.
    await page.locator('.tabs-container .tab.active[data-resource-name="tutorial-quantizer.ts"]').waitFor({ timeout: 20_000 });
    const annotatedAt = readFileSync(path.join(ROOT, "examples", "fashion-mnist", "tutorial-quantizer.ts"), "utf8").split("\n").findIndex((l) => l.includes("node.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap")) + 1;
    await page.locator(".statusbar-item", { hasText: new RegExp(`Ln ${annotatedAt}, Col`) }).first().waitFor({ timeout: 20_000 });
    await graph.locator('g.unit.highlight[data-node="/conv2/Conv"]').waitFor({ timeout: 20_000 });
    await shot("graph-sqnr-histogram");

    // The cursor on the activation spec (line 20): every node that spec quantizes lights up.
    await page.keyboard.press("Control+G");
    await page.locator(".quick-input-widget input").fill(":20");
    await page.keyboard.press("Enter");
    await graph.locator('g.unit.highlight[data-node="/relu1/Relu"]').waitFor({ timeout: 20_000 });
    assert.ok((await graph.locator("g.unit.highlight").count()) >= 5, "the activation spec covers many nodes");
    await shot("graph-spec-highlight");

    if (resnet) {
      await runCommand(page, "View: Close All Editors");
      await page.locator(".tabs-container .tab").first().waitFor({ state: "detached", timeout: 20_000 });
      await openFile(page, "resnet.ts");
      await runCommand(page, "qkit: Show graph", { exact: true });
      graph = graphView(page);
      await graph.locator('g.unit.module[data-module="layer1"]').waitFor({ timeout: 180_000 });
      assert.ok(Number(await graph.locator("#canvas").getAttribute("data-units")) <= 15, "ResNet-18 opens folded to its stages");
      await shot("graph-resnet18-collapsed");
      await graph.locator('g.unit.module[data-module="layer1"]').click();
      await graph.locator('g.unit.module[data-module="layer1.0"]').click();
      await graph.locator('g.frame[data-frame="layer1.0"]').waitFor({ timeout: 20_000 });
      assert.ok((await graph.locator('g.unit[data-node="/layer1/layer1.0/Add"]').count()) === 1, "the block's residual Add is drawn");
      await shot("graph-resnet18-expanded-block");
      await reloadRestoresGraph(page, { editor: "resnet.ts", model: "resnet18_op13.onnx", frames: ["layer1", "layer1.0"], colour: "op" });
      await shot("graph-resnet18-restored-after-reload");
    } else {
      await reloadRestoresGraph(page, { editor: "tutorial-quantizer.ts", model: "fmnist.onnx", frames: [], colour: "sqnr" });
      await shot("graph-restored-after-reload");
    }
  } catch (error) {
    await shot("failure").catch(() => {});
    throw error;
  } finally {
    await browser.close().catch(() => {});
    await server.stop();
    rmSync(run, { recursive: true, force: true });
    removeFixture(folder);
  }
}

/**
 * Restricted mode as a person sees it: the status bar says why nothing runs, and so does the lens; trusting the
 * folder then turns the status bar to the target's state.
 */
export async function uiRestricted({ vsix, artifacts, log }) {
  mkdirSync(artifacts, { recursive: true });
  const run = mkdtempSync(path.join(tmpdir(), "qkur-"));
  const folder = makeFixture("ur");
  const extensionsDir = path.join(run, "exts");
  await installExtension({ run, vsix, extensionsDir, log });
  const server = await startCodeServer({ run, folder, extensionsDir, restricted: true, log: (m) => process.env.QKIT_E2E_VERBOSE && process.stderr.write(m) });
  const browser = await launchBrowser(path.join(run, "profile"));
  const page = browser.pages()[0] ?? (await browser.newPage());
  const shot = async (name) => {
    await page.screenshot({ path: path.join(artifacts, `${name}.png`) });
    log(`screenshot ${name}.png\n`);
  };
  try {
    await page.goto(`${server.url}/?folder=${encodeURIComponent(folder)}`);
    await page.locator(".monaco-workbench").waitFor({ timeout: 90_000 });
    await page.locator(".statusbar-item", { hasText: "qkit: restricted" }).first().waitFor({ timeout: 90_000 });
    await page.locator(".explorer-folders-view .monaco-list-row", { hasText: "quantizers" }).first().click();
    await openFile(page, "leaves-a-mark.ts");
    await page.locator(".monaco-editor .codelens-decoration", { hasText: "not run: the workspace is not trusted" }).first().waitFor({ timeout: 60_000 });
    await shot("10-restricted-mode");

    // Trusting with no quantizer open: the status bar leaves "restricted" at once.
    await runCommand(page, "View: Close All Editors");
    await page.locator(".tabs-container .tab").first().waitFor({ state: "detached", timeout: 20_000 });
    await runCommand(page, "Workspaces: Manage Workspace Trust");
    const trust = page.locator(".workspace-trust-editor .monaco-button", { hasText: /^Trust( Folder)?$/ }).first();
    await trust.waitFor({ timeout: 30_000 });
    await trust.click();
    await page.locator(".statusbar-item", { hasText: /qkit: .* · / }).first().waitFor({ timeout: 30_000 });
    assert.equal(await page.locator(".statusbar-item", { hasText: "qkit: restricted" }).count(), 0);
    await shot("11-trusted-status");
  } catch (error) {
    await shot("10-restricted-failure").catch(() => {});
    throw error;
  } finally {
    await browser.close().catch(() => {});
    await server.stop();
    rmSync(run, { recursive: true, force: true });
    removeFixture(folder);
  }
}
