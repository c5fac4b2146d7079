import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const qkit = require("../runtime/dist/src/tooling.js");
const { seededValues } = require("../runtime/dist/test/helpers/build.js");
for (const lowering of [false, true]) {
const s = await qkit.createSession("/tmp/probe/qif-xnnpack.onnx", { lowering });
for (const seed of [0, 1, 2, 3]) {
try { await s.run({ x: new qkit.Tensor("float32", seededValues(192, seed, -1, 1.2), [1, 3, 8, 8]) }); console.log(lowering, seed, "ok"); } catch (e) { console.log(lowering, seed, e.message); }
}}
