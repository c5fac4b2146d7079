#!/usr/bin/env node
// The installed entry point: a file that exists before the TypeScript build, so npm can link it at install time.
// The transport comes from the arguments (--stdio, --node-ipc, --socket=PORT), as vscode-languageserver reads them.
"use strict";
let server;
try {
  server = require("../dist/src/main.js");
} catch (error) {
  if (error && error.code === "MODULE_NOT_FOUND" && String(error.message).includes("src/main.js")) {
    process.stderr.write("qkit-language-server: the package is not built yet; run 'npm run build' first\n");
    process.exit(2);
  }
  throw error;
}
server.main(process.argv.slice(2));
