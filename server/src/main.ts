/**
 * The qkit language server. Any LSP client can start it: `qkit-language-server --stdio` (or `--node-ipc`,
 * `--socket=PORT`); vscode-languageserver picks the transport from the arguments.
 */
import { setFlagsFromString } from "node:v8";
import { createConnection, ProposedFeatures } from "vscode-languageserver/node";
import { startServer, SERVER_NAME } from "./server.js";

export { SERVER_NAME, startServer };

/**
 * After each full collection the old generation may grow by half before the next. V8's default growth is made for
 * throughput: on edits that follow each other's diagnostics, the TypeScript programs each edit leaves behind grew the
 * heap to twice what the server keeps (steady RSS 230–260 MB on ResNet-18), and collecting between edits does not
 * give those pages back; bounded, it stays near 200 MB for the same CPU per edit (`npm run bench -- lsp`).
 */
const HEAP_GROWING_PERCENT = 50;

const USAGE = `Usage: qkit-language-server --stdio | --node-ipc | --socket=PORT

The qkit language server: type errors, checker findings at the lines that made them, hovers and completions for
quantizer files, driven by the workspace's qkit.json. See the README for client setup.`;

export function main(argv: string[]): void {
  if (argv.includes("--help") || argv.includes("-h") || !argv.some((a) => /^--(stdio|node-ipc|socket|pipe|clientProcessId)/.test(a))) {
    process.stdout.write(`${USAGE}\n`);
    process.exitCode = argv.includes("--help") || argv.includes("-h") ? 0 : 2;
    return;
  }
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  const connection = createConnection(ProposedFeatures.all);
  // A promise nobody awaited (a client that answered a request with an error, say) is logged, never fatal: the
  // session outlives a client's mistakes.
  process.on("unhandledRejection", (reason) => connection.console.error(`qkit: ${reason instanceof Error ? reason.message : String(reason)}`));
  startServer(connection);
  connection.listen();
}
