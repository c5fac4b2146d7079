import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { readFileSync } from "node:fs";
import { loadModel } from "qkit/tooling";
import { LspClient, ROOT } from "./helpers/lsp-client.js";
import { FMNIST, TUTORIAL, markers, tempWorkspace } from "./helpers/workspace.js";

/**
 * The boundary between the server and the quantizers it runs: a quantizer cannot change the model later checks see,
 * signal the server, write to its stdio (the LSP channel), leave processes behind, or grow the server's memory with
 * a native loop that no interrupt stops. Each fixture marks the line its one diagnostic is expected at.
 */
const BOUNDARIES = path.join(ROOT, "server", "test", "fixtures", "boundaries");
const fixture = (name: string) => path.join(BOUNDARIES, name);
const NAMES = ["writes-model.ts", "reads-model.ts", "signals.ts", "writes-stdio.ts", "writes-pipes.ts", "spawns.ts", "fills-buffer.ts"];
// Nothing here should stop on the clock: what ends each check is its own behaviour.
const UNREACHABLE_TIMEOUT_MS = 120_000;
const MEMORY_LIMIT_MB = 512;
const workspace = tempWorkspace([...NAMES.map(fixture), TUTORIAL].map((quantizer) => ({ quantizer, model: FMNIST })));
let client: LspClient;

before(async () => {
  client = await LspClient.start(workspace.dir, { trusted: true, settings: { checkTimeoutMs: UNREACHABLE_TIMEOUT_MS, checkMemoryLimitMb: MEMORY_LIMIT_MB } });
  await client.open(TUTORIAL);
  await client.waitFor(TUTORIAL, (ds) => ds.some((d) => d.source === "qkit"));
});

after(async () => {
  await client.stop();
  workspace.cleanup();
});

/** The one qkit diagnostic of a fixture, checked against its `// boundary: CODE` marker. */
async function checkOnce(name: string): Promise<{ code: string; message: string }> {
  const file = fixture(name);
  const [expected] = markers(readFileSync(file, "utf8"), "boundary");
  await client.open(file);
  const diagnostics = (await client.waitFor(file, (ds) => ds.some((d) => d.source === "qkit"))).filter((d) => d.source === "qkit");
  await client.close(file);
  assert.deepEqual(diagnostics.map((d) => [d.code, d.range.start.line + 1]), [[expected!.code, expected!.line]], JSON.stringify(diagnostics));
  return { code: String(diagnostics[0]!.code), message: String(diagnostics[0]!.message) };
}

/** The server still answers, over a channel nothing corrupted. */
async function serverServes(): Promise<void> {
  assert.equal(client.process.exitCode, null, `the server exited: ${client.stderr.slice(-500)}`);
  const hover = await client.hover(TUTORIAL, { line: 0, character: 0 });
  assert.ok(hover === null || typeof hover === "object");
}

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  // A zombie has ended; only its parent's reaping is left.
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

function peakResidentMb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match![1]) / 1024;
}

test("a quantizer that writes into the model's bytes changes nothing a later check sees", async () => {
  const model = await loadModel(FMNIST);
  const raw = model.graph.nodes.find((n) => (n.tensor?.rawData?.byteLength ?? 0) >= 4)!.tensor!.rawData!;
  const first = new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getFloat32(0, true);
  assert.notEqual(first, 12345);
  // The writer runs to the end: it annotates nothing, so its only qkit diagnostic is the coverage note.
  await client.open(fixture("writes-model.ts"));
  await client.waitFor(fixture("writes-model.ts"), (ds) => ds.some((d) => d.source === "qkit"));
  await client.close(fixture("writes-model.ts"));
  const read = await checkOnce("reads-model.ts");
  assert.match(read.message, new RegExp(`first weight: ${String(first).replace(/[.+-]/g, "\\$&")}$`));
});

test("a quantizer cannot signal the server: process._kill refuses", async () => {
  const result = await checkOnce("signals.ts");
  assert.match(result.message, /may not send signals/);
  await serverServes();
});

test("writes to file descriptors 1 and 2 never reach the LSP channel", async () => {
  const before = client.logs.length;
  await checkOnce("writes-stdio.ts");
  await serverServes();
  // The server may log what the quantizer printed, as text; a message of the forged one's own would mean it was parsed.
  assert.ok(!client.logs.slice(before).some((m) => m === "forged by a quantizer"), "a forged message reached the client");
});

test("garbage written to the sandbox's own pipes (IPC, reports) never reaches the server's deserializer", async () => {
  assert.match((await checkOnce("writes-pipes.ts")).message, /wrote garbage to the pipes$/);
  await serverServes();
});

test("a process a quantizer starts dies with its check", async () => {
  const result = await checkOnce("spawns.ts");
  const pid = Number(/spawned pid (\d+)/.exec(result.message)![1]);
  // The check's sandbox is killed with its process group as soon as the check ends; give the kernel its moment.
  for (let i = 0; i < 200 && !gone(pid); i++) await new Promise((r) => setTimeout(r, 50));
  const alive = !gone(pid);
  if (alive) process.kill(pid, "SIGKILL");
  assert.ok(!alive, `process ${pid} outlived the check`);
});

test("one huge TypedArray.fill is reported as memory, and the server's memory never grows with it", async () => {
  const result = await checkOnce("fills-buffer.ts");
  assert.match(result.message, new RegExp(`more than ${MEMORY_LIMIT_MB} MB`));
  await serverServes();
  // The array lived in the sandbox, never in the server: the server's peak stays below even the cap the array broke
  // (a watchdog measuring the server's own memory would only fire after the server grew by the cap).
  assert.ok(peakResidentMb(client.process.pid!) < MEMORY_LIMIT_MB, `the server's resident memory peaked at ${peakResidentMb(client.process.pid!)} MB`);
});
