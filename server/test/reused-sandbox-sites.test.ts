import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { StatusRequest, type StatusResult } from "../src/protocol.js";
import { findingsOf, LspClient } from "./helpers/lsp-client.js";
import { FMNIST, tempWorkspace } from "./helpers/workspace.js";

/**
 * A sandbox that runs check after check compiles the same file each time: every finding must still be placed by the
 * source map of the text it ran, not of an earlier one. Each edit moves the bad spec down three lines.
 */
const QUANTIZER = `import { Quantizer, QuantizationSpec, QuantizationAnnotation, type GraphModule } from "qkit";
export default class MovesItsSpec extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const spec = new QuantizationSpec({ dtype: "int8", quantMin: -200, quantMax: 127 });
    for (const node of model.graph.nodes) {
      if (node.opType !== "Relu") continue;
      node.meta.quantizationAnnotation = new QuantizationAnnotation({ outputQspec: spec, annotated: true });
    }
    return model;
  }
}
`;
const SPEC_LINE = 4;

const workspace = tempWorkspace([{ quantizer: "moves-its-spec.ts", model: FMNIST }], { "moves-its-spec.ts": QUANTIZER });
const file = path.join(workspace.dir, "moves-its-spec.ts");
let client: LspClient;

before(async () => {
  client = await LspClient.start(workspace.dir, { trusted: true });
});

after(async () => {
  await client.stop();
  workspace.cleanup();
});

test("a reused sandbox places each check's findings at the lines of the text it ran", async () => {
  await client.open(file, QUANTIZER);
  await client.waitFor(file, findingsOf(1));
  const reused: boolean[] = [];
  for (let edit = 1; edit <= 4; edit++) {
    const version = await client.replaceText(file, "\n\n\n".repeat(edit) + QUANTIZER);
    const diagnostics = await client.waitFor(file, findingsOf(version));
    const range = diagnostics.filter((d) => d.code === "quant-range-outside-dtype").map((d) => d.range.start.line + 1);
    assert.deepEqual(range, [SPEC_LINE + 3 * edit], `edit ${edit}: ${JSON.stringify(diagnostics.map((d) => [d.code, d.range.start.line + 1]))}`);
    const status: StatusResult = await client.connection.sendRequest(StatusRequest);
    reused.push(status.targets[0]?.lastCheck?.timings?.reusedSandbox === true);
  }
  // The point of the test: some of those checks ran where an earlier version of the file had run.
  assert.ok(reused.some(Boolean), `no check ran in a reused sandbox: ${reused}`);
});
