import { Col2imKernels } from "./col2im.js";
import { ConvKernels } from "./conv.js";
import { EltwiseKernels } from "./eltwise.js";
import { GemmKernels } from "./gemm.js";
import { NormKernels } from "./norm.js";
import { QconvKernels } from "./qconv.js";
import { QgemmKernels } from "./qgemm.js";
import { QeltwiseKernels } from "./qeltwise.js";
import { QwindowKernels } from "./qwindow.js";
import { QwinogradKernels } from "./qwinograd.js";
import { RecurrentKernels } from "./recurrent.js";
import { ResizeKernels } from "./resize.js";
import { KernelRuntime, type KernelOptions } from "./runtime.js";
import { WindowKernels } from "./window.js";
import { WinogradKernels } from "./winograd.js";
import { UnaryKernels } from "./unary.js";
import { BroadcastKernels } from "./broadcast.js";
import { StridedKernels } from "./strided.js";
import { QsoftmaxKernels } from "./qsoftmax.js";
import { QnormKernels } from "./qnorm.js";
import { OrderKernels } from "./order.js";

export type { KernelOptions } from "./runtime.js";

/**
 * The kernel interface operators use: one family per kind of kernel (each packs its own operands, sizes its own
 * scratch and splits its calls over the threads), on one runtime (shared memory, allocator, thread pool). Operators
 * hand the families typed arrays and named geometry; pointers, panel sizes and descriptors stay in the families.
 */
export class Kernels extends KernelRuntime {
  readonly gemm: GemmKernels;
  readonly conv: ConvKernels;
  readonly winograd: WinogradKernels;
  readonly window: WindowKernels;
  readonly eltwise: EltwiseKernels;
  readonly qconv: QconvKernels;
  readonly qgemm: QgemmKernels;
  readonly qwinograd: QwinogradKernels;
  readonly qwindow: QwindowKernels;
  readonly qeltwise: QeltwiseKernels;
  readonly unary: UnaryKernels;
  readonly broadcast: BroadcastKernels;
  readonly norm: NormKernels;
  readonly recurrent: RecurrentKernels;
  readonly resize: ResizeKernels;
  readonly col2im: Col2imKernels;
  readonly strided: StridedKernels;
  readonly qsoftmax: QsoftmaxKernels;
  readonly qnorm: QnormKernels;
  readonly order: OrderKernels;

  constructor(options: KernelOptions = {}) {
    super(options);
    this.gemm = new GemmKernels(this);
    this.conv = new ConvKernels(this, this.gemm);
    this.winograd = new WinogradKernels(this, this.gemm);
    this.window = new WindowKernels(this);
    this.eltwise = new EltwiseKernels(this);
    this.qconv = new QconvKernels(this);
    this.qgemm = new QgemmKernels(this);
    this.qwinograd = new QwinogradKernels(this);
    this.qwindow = new QwindowKernels(this);
    this.qeltwise = new QeltwiseKernels(this);
    this.unary = new UnaryKernels(this);
    this.broadcast = new BroadcastKernels(this);
    this.norm = new NormKernels(this);
    this.recurrent = new RecurrentKernels(this, this.gemm);
    this.resize = new ResizeKernels(this);
    this.col2im = new Col2imKernels(this);
    this.strided = new StridedKernels(this);
    this.qsoftmax = new QsoftmaxKernels(this);
    this.qnorm = new QnormKernels(this);
    this.order = new OrderKernels(this);
  }
}
