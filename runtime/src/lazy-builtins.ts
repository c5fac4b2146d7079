import type * as ChildProcess from "node:child_process";
import type * as Crypto from "node:crypto";
import type * as FsPromises from "node:fs/promises";
import type * as V8 from "node:v8";
import type * as WorkerThreads from "node:worker_threads";
import type * as Zlib from "node:zlib";

/*
 * Node built-ins that only some commands use, each loaded when first called for. A check sandbox starts whenever
 * a check in the editor is stopped or leaves a trace, and loads the whole runtime, but it never writes a model, inflates a dataset, starts kernel
 * threads or sandboxes of its own; loading these modules anyway cost each start several milliseconds of CPU.
 */
export const childProcess = (): typeof ChildProcess => require("node:child_process");
export const crypto = (): typeof Crypto => require("node:crypto");
export const fsPromises = (): typeof FsPromises => require("node:fs/promises");
export const v8 = (): typeof V8 => require("node:v8");
export const workerThreads = (): typeof WorkerThreads => require("node:worker_threads");
export const zlib = (): typeof Zlib => require("node:zlib");
