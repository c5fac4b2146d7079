/** prepare → calibrate → convert → export: from annotations to a QDQ model. */
export { prepare, PrepareError, observedActivations, type PreparedModel, type ObserverGroup, type DerivedSlot } from "./prepare.js";
export { calibrate, CalibrationDataError, CalibrationAbortedError, type CalibrationSample, type CalibrateOptions, type CalibrationProgress } from "./calibrate.js";
export { convert, ConvertError } from "./convert.js";
export { exportOnnx } from "./export.js";
export { calibrationState, saveCalibrationState, readCalibrationState, mergeCalibrationStates, loadCalibrationState, CalibrationStateError, type CalibrationState } from "./calibration-state.js";
export {
  calibrationReport, saveCalibrationReport, readCalibrationReport, calibrationReportFromJSON, CalibrationReportError,
  type CalibrationReport, type GroupReport, type NodeSqnrReport, type QuantRangeReport, type CalibrationReportOptions,
  type ReadCalibrationReportOptions,
} from "./calibration-report.js";
