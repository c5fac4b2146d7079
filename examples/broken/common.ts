/** Specs shared by the broken examples; each example makes its one mistake in its own file. */
import { HistogramObserver, MinMaxObserver, PerChannelMinMaxObserver, QuantizationSpec } from "qkit";

export const activation = new QuantizationSpec({
  dtype: "int8",
  quantMin: -128,
  quantMax: 127,
  qscheme: "per_tensor_affine",
  observer: HistogramObserver.withArgs({ eps: 2 ** -12 }),
});

export const weightPerTensor = new QuantizationSpec({
  dtype: "int8",
  quantMin: -127,
  quantMax: 127,
  qscheme: "per_tensor_symmetric",
  observer: MinMaxObserver,
});

export const weightPerChannel = new QuantizationSpec({
  dtype: "int8",
  quantMin: -127,
  quantMax: 127,
  qscheme: "per_channel_symmetric",
  chAxis: 0,
  observer: PerChannelMinMaxObserver,
});
