/** prepare → calibrate → convert → export: from annotations to a QDQ model. */
export { prepare, PrepareError, observedActivations, type PreparedModel, type ObserverGroup, type DerivedSlot } from "./prepare.js";
export { calibrate, CalibrationDataError, CalibrationAbortedError, type CalibrationSample, type CalibrateOptions, type CalibrationProgress } from "./calibrate.js";
export { convert, ConvertError } from "./convert.js";
export { exportOnnx } from "./export.js";
export { calibrationState, saveCalibrationState, readCalibrationState, mergeCalibrationStates, loadCalibrationState, CalibrationStateError, type CalibrationState } from "./calibration-state.js";
export { calibrationReport, saveCalibrationReport, type CalibrationReport, type GroupReport } from "./calibration-report.js";
