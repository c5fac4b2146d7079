#!/usr/bin/env node
// The installed entry point: a file that exists before the TypeScript build, so npm can link it at install time.
"use strict";
let cli;
try {
  cli = require("../dist/src/cli/main.js");
} catch (error) {
  if (error && error.code === "MODULE_NOT_FOUND" && String(error.message).includes("cli/main.js")) {
    process.stderr.write("qkit: the package is not built yet; run 'npm run build' first\n");
    process.exit(2);
  }
  throw error;
}
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
