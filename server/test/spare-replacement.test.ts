import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { StatusRequest, type StatusResult } from "../src/protocol.js";
import { SPARES } from "../src/check/check-runner.js";
import { LspClient } from "./helpers/lsp-client.js";
import { FMNIST, tempWorkspace } from "./helpers/workspace.js";

/**
 * A check's sandbox is replaced the moment its job is posted, not once its results are published: while a check
 * still runs, the spares are back to full strength (ready or warming), so the next edit finds one.
 */
const workspace = tempWorkspace([{ quantizer: "./holds.ts", model: FMNIST }]);
const hold = path.join(workspace.dir, "hold");
const QUANTIZER = path.join(workspace.dir, "holds.ts");
// Holds its check while the file \`hold\` exists, so the test can look at the spares while the check runs.
writeFileSync(
  QUANTIZER,
  `import { existsSync } from "node:fs";
import { Quantizer, type GraphModule } from "qkit";

export default class Holds extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const until = Date.now() + 120_000;
    while (existsSync(${JSON.stringify(hold)}) && Date.now() < until);
    return model; // line to edit
  }
}
`,
);

let client: LspClient;
const status = (): Promise<StatusResult> => client.connection.sendRequest(StatusRequest);

before(async () => {
  // The check's time limit is not what is tested: it must not end the held check first.
  client = await LspClient.start(workspace.dir, { trusted: true, settings: { checkTimeoutMs: 120_000 } });
});

after(async () => {
  await client.stop();
  workspace.cleanup();
});

test("the spare a check takes is replaced while the check still runs", async () => {
  const checked = (version: number) => client.waitFor(QUANTIZER, (ds) => ds.some((d) => d.source === "qkit" && (d.data as { version?: number } | undefined)?.version === version));
  const first = checked(1);
  await client.open(QUANTIZER);
  await first;
  // Every spare ready, so the next check takes one that was warm (it waits for none).
  const giveUp = Date.now() + 60_000;
  let seen = await status();
  while (seen.checkSandboxes.ready < SPARES) {
    if (Date.now() > giveUp) assert.fail(`the spares did not become ready: ${JSON.stringify(seen.checkSandboxes)}`);
    await new Promise((r) => setTimeout(r, 50));
    seen = await status();
  }
  const startedBefore = seen.checkSandboxes.started;
  writeFileSync(hold, "");
  const lines = readFileSync(QUANTIZER, "utf8").split("\n");
  const index = lines.findIndex((l) => l.includes("// line to edit"));
  const second = checked(2);
  assert.equal(await client.changeLine(QUANTIZER, index + 1, lines[index]!, `${lines[index]} // edited`), 2);
  for (;;) {
    seen = await status();
    const { ready, warming, started } = seen.checkSandboxes;
    if (seen.checksRunning === 1 && started > startedBefore && ready + warming === SPARES) break;
    if (Date.now() > giveUp) assert.fail(`while the check ran, its spare was not replaced: ${JSON.stringify(seen.checkSandboxes)}, ${seen.checksRunning} running`);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(seen.checkSandboxes.started, startedBefore + 1, "one sandbox started: the replacement");
  assert.equal(seen.checksRunning, 1, "the held check still runs");
  rmSync(hold);
  await second;
  const timings = (await status()).targets[0]?.lastCheck?.timings;
  assert.equal(timings?.warmSandbox, true, "the held check ran in a spare that was ready");
});
