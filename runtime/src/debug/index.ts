export { compareNodes, type NodeAccuracy } from "./numeric-debugger.js";
