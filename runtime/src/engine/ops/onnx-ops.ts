import type { OpDef } from "../op.js";
import { convOps } from "./conv.js";
import { gemmOps } from "./gemm.js";
import { poolOps } from "./pool.js";
import { binaryOps } from "./binary.js";
import { unaryOps } from "./unary.js";
import { shapeOps } from "./shape.js";
import { layoutOps } from "./layout.js";
import { reduceOps } from "./reduce.js";
import { normOps } from "./norm.js";
import { quantOps } from "./quant.js";
import { resizeOps } from "./resize.js";
import { indexingOps } from "./indexing.js";
import { convTransposeOps } from "./conv-transpose.js";
import { lossOps } from "./loss.js";
import { integerOps } from "./integer.js";
import { recurrentOps } from "./recurrent.js";
import { einsumOps } from "./einsum.js";
import { gridSampleOps } from "./grid-sample.js";
import { maxUnpoolOps } from "./max-unpool.js";
import { dataDependentOps } from "./data-dependent.js";
import { windowOps } from "./windows.js";
import { detOps } from "./det.js";
import { reverseSequenceOps } from "./reverse-sequence.js";
import { controlFlowOps } from "./control-flow.js";
import { roiAlignOps } from "./roi-align.js";
import { signalOps } from "./signal.js";
import { lpNormOps } from "./lp-norm.js";
import { attentionOps } from "./attention.js";
import { rmsNormOps } from "./rms-norm.js";
import { rotaryEmbeddingOps } from "./rotary-embedding.js";
import { tensorScatterOps } from "./tensor-scatter.js";
import { bitCastOps } from "./bit-cast.js";

/** Every operator the engine runs, by ONNX op type (default domain). */
const OPS = new Map<string, OpDef>(Object.entries({
  ...convOps, ...gemmOps, ...poolOps, ...binaryOps, ...unaryOps, ...shapeOps, ...layoutOps, ...reduceOps, ...normOps,
  ...quantOps, ...resizeOps, ...indexingOps, ...convTransposeOps, ...lossOps, ...integerOps,
  ...recurrentOps, ...einsumOps, ...gridSampleOps, ...maxUnpoolOps, ...dataDependentOps,
  ...windowOps, ...detOps, ...reverseSequenceOps, ...controlFlowOps, ...roiAlignOps, ...signalOps, ...lpNormOps,
  ...attentionOps, ...rmsNormOps, ...rotaryEmbeddingOps, ...tensorScatterOps, ...bitCastOps,
}));

/** A default-domain operator by type. */
export function lookupOpType(opType: string): OpDef | undefined {
  return OPS.get(opType);
}

export function supportedOps(): string[] {
  return [...OPS.keys()].sort();
}
