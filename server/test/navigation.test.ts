import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { DefinitionRequest, DocumentSymbolRequest, ReferencesRequest, WorkspaceSymbolRequest, type DocumentSymbol, type Location, type SymbolInformation } from "vscode-languageserver-protocol";
import { LspClient, positionOf, uri } from "./helpers/lsp-client.js";
import { FMNIST, tempWorkspace } from "./helpers/workspace.js";
import { GraphViewRequest } from "../src/protocol.js";

const QUANTIZER = `import { HistogramObserver, QuantizationAnnotation, QuantizationSpec, Quantizer, getSourcePartitions, type GraphModule } from "qkit";

const act = new QuantizationSpec({ dtype: "int8", quantMin: -128, quantMax: 127, observer: HistogramObserver });
const unused = new QuantizationSpec({ dtype: "int8", observer: HistogramObserver });

export default class NavQuantizer extends Quantizer {
  annotate(model: GraphModule): GraphModule {
    const relu = model.graph.node("/relu1/Relu")!;
    relu.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: [[relu.args[0]!, act]], outputQspec: act });
    void getSourcePartitions(model.graph, ["Relu"]);
    void [unused, "conv2"];
    return model;
  }
}
`;

/** Navigation between a quantizer and its annotated-graph document (qkit-graph:), and its outline. */
test("definition, references, document and workspace symbols", async () => {
  const { dir, cleanup } = tempWorkspace([{ quantizer: "nav.ts", model: FMNIST }], { "nav.ts": QUANTIZER });
  const client = await LspClient.start(dir);
  try {
    const file = path.join(dir, "nav.ts");
    await client.open(file, QUANTIZER);
    await client.waitFor(file, (ds) => ds.some((d) => d.source === "qkit"));
    const view = await client.connection.sendRequest(GraphViewRequest, { uri: uri(file) });
    const graphLines = view.text.split("\n");
    const graphUri = `qkit-graph:///nav.qkit-graph?${encodeURIComponent(uri(file))}`;
    const shown = (l: Location) => {
      assert.equal(l.uri, graphUri);
      return graphLines[l.range.start.line]!.slice(l.range.start.character, l.range.end.character);
    };
    const definition = async (needle: string) => ((await client.connection.sendRequest(DefinitionRequest.type, { textDocument: { uri: uri(file) }, position: positionOf(QUANTIZER, needle, 2) })) ?? []) as Location[];

    assert.deepEqual((await definition('"/relu1/Relu"')).map(shown), ["/relu1/Relu"], "a node name goes to its node");
    const relus = (await definition('"Relu"]')).map(shown);
    assert.ok(relus.length >= 2 && relus.every((n) => /^\/relu\d+\/Relu$/.test(n)), `an op type goes to every node of that type: ${relus}`);
    assert.deepEqual((await definition('"conv2"')).map(shown), ["/conv2/Conv"], "a module name goes to its nodes");

    const references = async (needle: string, offset: number) => ((await client.connection.sendRequest(ReferencesRequest.type, { textDocument: { uri: uri(file) }, position: positionOf(QUANTIZER, needle, offset), context: { includeDeclaration: false } })) ?? []) as Location[];
    const uses = (await references("const act", 6)).map(shown);
    assert.deepEqual(uses.map((u) => u.replace(/ \(.*$/, "")), ["## input /conv1/Conv: QuantizationSpec int8", "## output: QuantizationSpec int8"], "a spec's references are the edge and the output it was put on");
    assert.deepEqual(await references("const unused", 6), [], "a spec put nowhere has no references");

    // From the graph back to the code: the node's name links to the line that annotated it.
    const link = view.links.find((l) => graphLines[l.line]!.slice(l.start, l.end) === "/relu1/Relu");
    assert.equal(link?.target.line, QUANTIZER.split("\n").findIndex((l) => l.includes("relu.meta.quantizationAnnotation")));

    const symbols = (await client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri: uri(file) } })) as DocumentSymbol[];
    assert.deepEqual(symbols.map((s) => [s.name, s.detail, (s.children ?? []).map((c) => c.name)]), [
      ["act", "QuantizationSpec", []],
      ["unused", "QuantizationSpec", []],
      ["NavQuantizer", "extends Quantizer", ["annotate"]],
    ]);
    const found = (await client.connection.sendRequest(WorkspaceSymbolRequest.type, { query: "navq" })) as SymbolInformation[];
    assert.deepEqual(found.map((s) => [s.name, s.location.uri, s.location.range.start.line]), [["NavQuantizer", uri(file), 5]]);
  } finally {
    await client.stop();
    cleanup();
  }
});
