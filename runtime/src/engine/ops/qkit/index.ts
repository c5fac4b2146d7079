import type { OpDef } from "../../op.js";
import type { QkitOp } from "../../../qkit-ops/schema.js";
import { qconv } from "./qconv.js";
import { qgemm } from "./qgemm.js";
import { qadd, qmul } from "./qbinary.js";
import { qaveragePool, qglobalAveragePool, qmaxpool } from "./qpool.js";
import { qconcat } from "./qconcat.js";
import { qlut } from "./qunary.js";
import { qmatmul } from "./qmatmul.js";
import { qconvTranspose } from "./qconv-transpose.js";
import { qresize } from "./qresize.js";
import { qsoftmax } from "./qsoftmax.js";
import { qlayerNorm } from "./qlayernorm.js";

/** The engine's com.qkit operators (see qkit-ops/schema.ts). */
export const qkitOps: Record<QkitOp, OpDef> = {
  QConv: qconv, QGemm: qgemm, QAdd: qadd, QMul: qmul, QMaxPool: qmaxpool, QAveragePool: qaveragePool,
  QGlobalAveragePool: qglobalAveragePool, QConcat: qconcat, QLut: qlut,
  QMatMul: qmatmul, QConvTranspose: qconvTranspose, QResize: qresize, QSoftmax: qsoftmax, QLayerNorm: qlayerNorm,
};
