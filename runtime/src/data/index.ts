/** Reading calibration and evaluation data, and writing outputs. */
export { openData, modelInputs, type DataOptions, type InputSpec, type Sample } from "./source.js";
export { parseNpy, encodeNpy } from "./npy.js";
export { parseNpz } from "./npz.js";
export { parseTensorProto } from "./tensor-proto.js";
export { parseIdx, type IdxArray } from "./idx.js";
export { imageToCHW, IMAGE_EXTENSIONS, type Normalization } from "./images.js";
export { DataError } from "./data-error.js";
