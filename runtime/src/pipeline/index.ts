/** One pipeline for the CLI and the language server's workers: check, and check → prepare → calibrate → convert → export. */
export { calibrationDataOf, targetFromConfig, reportPathFor, type PipelineTarget, type CalibrationData } from "./target.js";
export { checkTarget, loadTarget, type CheckTargetOptions, type CheckTargetResult, type LoadTargetOptions } from "./check-target.js";
export { calibrateTarget, quantizeTarget, PipelineTargetError, type CalibrateTargetOptions, type QuantizeTargetOptions, type CalibratedTarget, type QuantizedTarget, type PipelineStage } from "./quantize-target.js";
