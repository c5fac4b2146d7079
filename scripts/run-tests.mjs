// Runs every compiled test file with Node's test runner; extra arguments are passed through (e.g. --test-name-pattern).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const folders = ["runtime/dist/test", "server/dist/test", "client/dist/webview-tsc/webview/test", "test/dist"].filter((f) => existsSync(f));
const result = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...process.argv.slice(2), ...folders], { stdio: "inherit" });
process.exit(result.status ?? 1);
