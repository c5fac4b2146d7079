import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const qkit = require("../runtime/dist/src/tooling.js");
const { implicitInputs } = require("../runtime/dist/src/graph/subgraph-scope.js");
const m = await qkit.loadModel(process.argv[2]);
for (const n of m.graph.calls()) if (n.opType === "If") console.log(n.name, implicitInputs(n, (name) => m.graph.producerOf(name)).map((v) => `${v.valueName}:${v.kind}:${v.opType}`));
