import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { ShowDocumentRequest, ShowMessageNotification, type ShowDocumentParams, type ShowMessageParams } from "vscode-languageserver-protocol";
import type { RunCalibrationResult } from "../src/protocol.js";
import { LspClient, positionOf, uri } from "./helpers/lsp-client.js";
import { EXAMPLES, FMNIST, TUTORIAL, tempWorkspace } from "./helpers/workspace.js";

/**
 * A client that is not VS Code (no `clientCommands`): the "Run calibration" and "Show annotated graph" lenses name the
 * server's own commands, which run over workspace/executeCommand with the server's progress and messages.
 */
const DATA = path.join(EXAMPLES, "fashion-mnist", "calibration-images-idx3-ubyte.gz");
const calibration = { data: DATA, batchSize: 16, limit: 48, mean: 0.286, std: 0.353 };
const workspace = tempWorkspace([{ quantizer: TUTORIAL, model: FMNIST, calibration, output: "out/fmnist.int8.onnx" } as never]);
const OUTPUT = path.join(workspace.dir, "out", "fmnist.int8.onnx");
let client: LspClient;
const messages: ShowMessageParams[] = [];
const shown: ShowDocumentParams[] = [];

before(async () => {
  client = await LspClient.start(workspace.dir, {}, { window: { workDoneProgress: true, showDocument: { support: true } } });
  client.connection.onNotification(ShowMessageNotification.type, (m) => void messages.push(m));
  client.connection.onRequest(ShowDocumentRequest.type, (p) => {
    shown.push(p);
    return { success: true };
  });
  await client.open(TUTORIAL);
  await client.waitFor(TUTORIAL, (ds) => ds.some((d) => d.source === "qkit"));
});

after(async () => {
  await client.stop();
  workspace.cleanup();
});

test("the server lists its calibrate and open-graph commands", () => {
  assert.deepEqual(client.initializeResult!.capabilities.executeCommandProvider?.commands, ["qkit.scaffoldQuantizer", "qkit.calibrate", "qkit.openGraph"]);
});

test("without client commands, the lenses name the server's, and the hover has no command link", async () => {
  const lenses = (await client.codeLens(TUTORIAL)) ?? [];
  assert.deepEqual(lenses.slice(0, 2).map((l) => [l.command?.title, l.command?.command, l.command?.arguments]), [
    ["Run calibration", "qkit.calibrate", [uri(TUTORIAL)]],
    ["Show annotated graph", "qkit.openGraph", [uri(TUTORIAL)]],
  ]);
  const text = readFileSync(TUTORIAL, "utf8");
  const hover = await client.hover(TUTORIAL, positionOf(text, "new QuantizationSpec({", 4));
  const value = (hover?.contents as { value: string }).value;
  assert.match(value, /_Not calibrated yet:_ Run calibration \(the code lens above the Quantizer class\)/);
  assert.doesNotMatch(value, /\(command:/);
});

test("the Run calibration lens's command calibrates with the server's own progress and says the outcome", async () => {
  const lens = ((await client.codeLens(TUTORIAL)) ?? [])[0]!.command!;
  const before = client.progressTokens.length;
  const result = (await client.connection.sendRequest("workspace/executeCommand", { command: lens.command, arguments: lens.arguments })) as RunCalibrationResult;
  assert.equal(result.items, 48);
  assert.equal(result.output, uri(OUTPUT));
  assert.ok(existsSync(OUTPUT));
  // The server created one progress token for the run, began it cancellable, reported samples, and ended it.
  assert.equal(client.progressTokens.length, before + 1);
  const events = client.progress.get(client.progressTokens.at(-1)!)!;
  assert.deepEqual(events[0], { kind: "begin", title: "Calibrating tutorial-quantizer.ts", percentage: 0, message: "starting…", cancellable: true });
  assert.ok(events.some((e) => e.kind === "report" && /^48\/48 samples · \d+ samples\/s$/.test(e.message ?? "")), JSON.stringify(events));
  assert.equal(events.at(-1)?.kind, "end");
  assert.ok(messages.some((m) => m.type === 3 && m.message.startsWith(`qkit: calibrated tutorial-quantizer.ts on 48 samples; wrote ${OUTPUT}`)), JSON.stringify(messages));
});

test("the Show annotated graph lens's command shows the graph document", async () => {
  const lens = ((await client.codeLens(TUTORIAL)) ?? [])[1]!.command!;
  const result = (await client.connection.sendRequest("workspace/executeCommand", { command: lens.command, arguments: lens.arguments })) as { uri: string };
  assert.match(result.uri, /^qkit-graph:\/\/\/tutorial-quantizer\.qkit-graph\?file%3A/);
  assert.deepEqual(shown.at(-1), { uri: result.uri, takeFocus: true });
});

test("a command given something that is not a target fails with a message naming it", async () => {
  const other = path.join(workspace.dir, "nowhere.ts");
  await assert.rejects(client.connection.sendRequest("workspace/executeCommand", { command: "qkit.openGraph", arguments: [other] }), new RegExp(`${other.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is not a quantizer listed in qkit.json`));
  await assert.rejects(client.connection.sendRequest("workspace/executeCommand", { command: "qkit.calibrate", arguments: [42] }), /qkit\.calibrate takes the quantizer file \(a URI or a path\) as its argument, not 42/);
  await assert.rejects(client.connection.sendRequest("workspace/executeCommand", { command: "qkit.calibrate", arguments: [other] }));
  assert.ok(messages.some((m) => m.type === 1 && /^qkit: calibration of nowhere\.ts failed: /.test(m.message)), JSON.stringify(messages));
});
