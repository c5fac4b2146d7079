/**
 * The qkit language server. Any LSP client can start it: `qkit-language-server --stdio` (or `--node-ipc`,
 * `--socket=PORT`); vscode-languageserver picks the transport from the arguments.
 */
import { createConnection, ProposedFeatures } from "vscode-languageserver/node";
import { startServer, SERVER_NAME } from "./server.js";

export { SERVER_NAME, startServer };

const USAGE = `Usage: qkit-language-server --stdio | --node-ipc | --socket=PORT

The qkit language server: type errors, checker findings at the lines that made them, hovers and completions for
quantizer files, driven by the workspace's qkit.json. See the README for client setup.`;

export function main(argv: string[]): void {
  if (argv.includes("--help") || argv.includes("-h") || !argv.some((a) => /^--(stdio|node-ipc|socket|pipe|clientProcessId)/.test(a))) {
    process.stdout.write(`${USAGE}\n`);
    process.exitCode = argv.includes("--help") || argv.includes("-h") ? 0 : 2;
    return;
  }
  const connection = createConnection(ProposedFeatures.all);
  // A promise nobody awaited (a client that answered a request with an error, say) is logged, never fatal: the
  // session outlives a client's mistakes.
  process.on("unhandledRejection", (reason) => connection.console.error(`qkit: ${reason instanceof Error ? reason.message : String(reason)}`));
  startServer(connection);
  connection.listen();
}
