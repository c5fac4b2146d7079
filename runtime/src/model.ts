import type { onnx } from "./onnx/proto.js";
import type { Graph } from "./graph/graph.js";
import type { NormalizationReport } from "./graph/normalize.js";

export interface OpsetImport {
  domain: string;
  version: number;
}

/**
 * A loaded ONNX model: the graph as IR, and the ModelProto fields around it, kept so that saving loses nothing.
 * Quantizers receive it as their GraphModule.
 */
export class Model {
  irVersion = 8;
  opsetImports: OpsetImport[] = [{ domain: "", version: 17 }];
  producerName = "";
  producerVersion = "";
  domain = "";
  modelVersion = 0;
  docString = "";
  metadataProps: { key: string; value: string }[] = [];
  /** Model-local functions and training info are carried through unchanged. */
  functions: onnx.IFunctionProto[] = [];
  trainingInfo: onnx.ITrainingInfoProto[] = [];
  /** What normalization changed on load. */
  normalization: NormalizationReport = { identitiesFolded: 0, constantsFolded: 0, batchNormsFolded: 0 };
  /** The file it was loaded from, if any; used in messages. */
  source = "<memory>";
  /** The external data files it was loaded with (relative locations); saving writes external data again when set. */
  externalDataLocations: string[] = [];
  /**
   * The default opset its file imported when that was 1–9, which qkit reads (and saves) as opset 10, where
   * QuantizeLinear exists (at its own opset, or opset 7 for one of opsets 1–6, when `opsetUpgradeBlocked` says why not).
   */
  sourceOpset: number | undefined;
  /** Why a model of opsets 7–9 kept its own opset: the node opset 10 cannot express. It then cannot be quantized. */
  opsetUpgradeBlocked: string | undefined;

  constructor(public graph: Graph) {}

  /** The opset version imported for a domain ("" and "ai.onnx" are the same), or undefined. */
  opset(domain = ""): number | undefined {
    const wanted = domain === "ai.onnx" ? "" : domain;
    return this.opsetImports.find((o) => (o.domain === "ai.onnx" ? "" : o.domain) === wanted)?.version;
  }

  /** Import `domain` at `version` when some node uses it and the model does not import it yet. */
  importDomainIfUsed(domain: string, version: number): void {
    if (this.opset(domain) === undefined && this.graph.calls().some((n) => n.domain === domain)) this.opsetImports.push({ domain, version });
  }
}

/** PT2E's name for what a Quantizer annotates; in qkit it is the Model itself (`m.graph` works as in torch.fx). */
export type GraphModule = Model;
