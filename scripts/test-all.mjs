// What `npm test` runs after the build: the Node-runner tests, then the tests in a real VS Code — always both, so a
// failure in the first half does not hide the second — and one line saying how each half ended.
import { spawnSync } from "node:child_process";

const halves = [
  ["Node-runner tests", [process.execPath, ["scripts/run-tests.mjs"]]],
  ["VS Code tests", [process.execPath, ["--test", "--test-concurrency=1", "test/e2e/vscode.test.mjs"]]],
];
const outcomes = halves.map(([name, [command, args]]) => {
  const { status, signal } = spawnSync(command, args, { stdio: "inherit" });
  return { name, ok: status === 0, how: status === 0 ? "passed" : signal ? `stopped by ${signal}` : `failed (exit ${status})` };
});
console.log(`\n${outcomes.map((o) => `${o.name}: ${o.how}`).join("; ")}`);
process.exit(outcomes.every((o) => o.ok) ? 0 : 1);
