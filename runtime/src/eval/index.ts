export { evaluateAccuracy, type AccuracyResult } from "./accuracy.js";
export { readLabels } from "./labels.js";
