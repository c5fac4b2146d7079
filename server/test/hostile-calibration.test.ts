import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { existsSync, readFileSync } from "node:fs";
import { ResponseError } from "vscode-languageserver-protocol";
import { RunCalibrationRequest, StatusRequest } from "../src/protocol.js";
import { LspClient, positionOf, uri } from "./helpers/lsp-client.js";
import { EXAMPLES, FMNIST, HOSTILE, HOSTILE_CALIBRATION, TUTORIAL, tempWorkspace } from "./helpers/workspace.js";

/**
 * Calibration runs user code (the quantizer and a data module) for as long as the data lasts, so it has no time limit;
 * its worker is capped and hardened like a check's. A data module that allocates without bound (on the heap, or in
 * typed arrays outside it) and a quantizer that calls process.exit each fail with a clear message, nothing is
 * written, and the server keeps serving: a healthy calibration runs afterwards.
 */
const MEMORY_LIMIT_MB = 768;
// Only so that a broken build fails instead of hanging: nothing here is timed.
const SAFETY = { timeout: 180_000 };
const DATA = path.join(EXAMPLES, "fashion-mnist", "calibration-images-idx3-ubyte.gz");
const calibration = (data: string) => ({ data, batchSize: 16, limit: 32, mean: 0.286, std: 0.353 });
const tutorial = readFileSync(TUTORIAL, "utf8");
const workspace = tempWorkspace(
  [
    { quantizer: "heap-hog.ts", model: FMNIST, calibration: calibration(path.join(HOSTILE_CALIBRATION, "allocates-heap.data.ts")), output: "out/heap.onnx" },
    { quantizer: "buffer-hog.ts", model: FMNIST, calibration: calibration(path.join(HOSTILE_CALIBRATION, "allocates-buffer.data.ts")), output: "out/buffer.onnx" },
    { quantizer: path.join(HOSTILE, "exits.ts"), model: FMNIST, calibration: calibration(DATA), output: "out/exits.onnx" },
    { quantizer: "healthy.ts", model: FMNIST, calibration: calibration(DATA), output: "out/healthy.onnx" },
  ],
  { "heap-hog.ts": tutorial, "buffer-hog.ts": tutorial, "healthy.ts": tutorial },
);
const file = (name: string) => path.join(workspace.dir, name);
let client: LspClient;

before(async () => {
  client = await LspClient.start(workspace.dir, { settings: { calibrationMemoryLimitMb: MEMORY_LIMIT_MB } });
});

after(async () => {
  await client.stop();
  workspace.cleanup();
});

async function failedCalibration(quantizer: string, output: string): Promise<string> {
  const error = await client.connection.sendRequest(RunCalibrationRequest, { uri: uri(quantizer) }).then(
    () => assert.fail("the calibration succeeded"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ResponseError, String(error));
  assert.equal(error.code, -32803, "RequestFailed, not a crash or a cancellation");
  assert.equal(existsSync(file(output)), false, "no model written");
  assert.equal(existsSync(file(`${output}.calibration.json`)), false, "no report written");
  const status = await client.connection.sendRequest(StatusRequest);
  const target = status.targets.find((t) => path.resolve(workspace.dir, t.quantizer) === quantizer);
  assert.equal(target?.calibration?.state, "failed");
  assert.equal(target?.calibration?.error, error.message);
  return error.message;
}

test("a data module that allocates on the heap without bound is stopped at the memory cap", SAFETY, async () => {
  const message = await failedCalibration(file("heap-hog.ts"), "out/heap.onnx");
  assert.match(message, new RegExp(`^calibration used more than ${MEMORY_LIMIT_MB} MB and was stopped .*the limit is the qkit\\.calibrationMemoryLimitMb setting$`));
});

test("a data module that fills typed arrays outside the heap is stopped by the memory watchdog", SAFETY, async () => {
  const message = await failedCalibration(file("buffer-hog.ts"), "out/buffer.onnx");
  assert.match(message, new RegExp(`^calibration used more than ${MEMORY_LIMIT_MB} MB and was stopped `));
});

test("a quantizer that calls process.exit during calibration is named at its line", SAFETY, async () => {
  const message = await failedCalibration(path.join(HOSTILE, "exits.ts"), "out/exits.onnx");
  const line = readFileSync(path.join(HOSTILE, "exits.ts"), "utf8").split("\n").findIndex((l) => l.includes("process.exit(3)")) + 1;
  assert.match(message, new RegExp(`exits\\.ts:${line}:\\d+: the quantizer or the data module called process\\.exit\\(3\\); calibration stopped and nothing was written$`));
});

test("afterwards the server keeps serving: hovers answer and a healthy calibration writes its model", SAFETY, async () => {
  const healthy = file("healthy.ts");
  await client.open(healthy, tutorial);
  const hover = await client.hover(healthy, positionOf(tutorial, '"Conv"', 2));
  assert.match(JSON.stringify(hover?.contents), /getSourcePartitions matches/);
  const result = await client.connection.sendRequest(RunCalibrationRequest, { uri: uri(healthy) });
  assert.equal(result.items, 32);
  assert.ok(existsSync(file("out/healthy.onnx")) && existsSync(file("out/healthy.onnx.calibration.json")));
});
