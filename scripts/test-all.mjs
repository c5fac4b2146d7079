// What `npm test` runs after the build: first it installs what the tests need beyond npm when it is missing
// (ensure-test-tools.mjs), then the Node-runner tests, then the tests in a real VS Code — always both, so a
// failure in the first half does not hide the second — and one line saying how each half ended, skips included (a
// half that skipped for want of a tool says so, and how to get it, rather than reading as passed).
import { spawn } from "node:child_process";
import { ensureTestTools } from "./ensure-test-tools.mjs";

const halves = [
  ["Node-runner tests", [process.execPath, ["scripts/run-tests.mjs"]]],
  ["VS Code tests", [process.execPath, ["--test", "--test-concurrency=1", "test/e2e/vscode.test.mjs"]]],
];

/** Runs one half, its output passed through, and reads the runner's TAP summary (`# pass N`, `# SKIP reason`). */
function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["inherit", "pipe", "inherit"] });
    let text = "";
    child.stdout.on("data", (chunk) => {
      process.stdout.write(chunk);
      text += chunk;
    });
    child.on("close", (status, signal) => {
      const count = (key) => [...text.matchAll(new RegExp(`^# ${key} (\\d+)$`, "gm"))].reduce((n, m) => n + Number(m[1]), 0);
      const reasons = new Set([...text.matchAll(/^ok \d+ - .* # SKIP (.+)$/gm)].map((m) => m[1]));
      // The failing tests by name (TAP's `not ok`, and the extension host's `FAILED` lines), for the summary at the end.
      const failed = [...text.matchAll(/^\s*(?:not ok \d+ - (.+)|# FAILED (.+))$/gm)].map((m) => (m[1] ?? m[2]).replace(/ # (SKIP|TODO).*$/, ""));
      resolve({ status, signal, pass: count("pass"), fail: count("fail"), skipped: count("skipped"), reasons, failed });
    });
  });
}

ensureTestTools();
const outcomes = [];
for (const [name, [command, args]] of halves) {
  const r = await run(command, args);
  const counts = `${r.pass} passed, ${r.fail} failed, ${r.skipped} skipped`;
  const how = r.status === 0 ? counts : r.signal ? `stopped by ${r.signal} (${counts})` : `failed (exit ${r.status}; ${counts})`;
  const why = r.skipped > 0 && r.reasons.size <= 2 ? ` — skipped: ${[...r.reasons].join("; ")}` : "";
  const names = r.failed.slice(0, 20).map((f) => `\n  ✗ ${f}`).join("") + (r.failed.length > 20 ? `\n  … and ${r.failed.length - 20} more` : "");
  outcomes.push({ ok: r.status === 0, line: `${name}: ${how}${why}${names}` });
}
console.log(`\n${outcomes.map((o) => o.line).join("\n")}`);
process.exit(outcomes.every((o) => o.ok) ? 0 : 1);
