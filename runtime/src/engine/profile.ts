/**
 * Per-node timings of profiled runs (onnxruntime's enableProfiling is the model): what ran, on which shapes, for how
 * long, with tables per node and per operator type, and the Chrome trace-event format that Perfetto and
 * chrome://tracing open.
 */

/** One step of a profiled run: a node (with the Relu/Clip fused into it, if any) timed on the calling thread. */
export interface ProfileEvent {
  /** The node's name (`<opType>#<index>` for a node without one). */
  readonly node: string;
  readonly opType: string;
  /** Nodes run inside this one (a fused Relu or Clip), by name. */
  readonly fused: readonly string[];
  readonly inputShapes: readonly (readonly number[] | null)[];
  readonly outputShapes: readonly (readonly number[])[];
  /** Which profiled run, from 0. */
  readonly run: number;
  /** Microseconds since profiling started, and the step's duration in microseconds. */
  readonly startUs: number;
  readonly durUs: number;
}

/** The profiled runs of a session since profiling started (or since the last endProfiling()). */
export interface Profile {
  /** Each profiled run: when it started and how long it took (feeding inputs included), in microseconds. */
  readonly runs: readonly { readonly startUs: number; readonly durUs: number }[];
  readonly events: readonly ProfileEvent[];
}

export interface ProfileRow {
  /** Node name, or operator type in the per-type table. */
  readonly name: string;
  readonly opType: string;
  /** Nodes of this type (1 per node row). */
  readonly nodes: number;
  /** Mean microseconds per profiled run. */
  readonly usPerRun: number;
  /** Share of the time of all nodes, in percent. */
  readonly percent: number;
  /** Output shape of the node (per-node rows). */
  readonly outputShape?: readonly number[];
}

export interface ProfileSummary {
  readonly runs: number;
  /** Median microseconds per run, and the nodes' part of it (the rest: feeding inputs, outputs, the loop). */
  readonly medianRunUs: number;
  readonly nodeUsPerRun: number;
  readonly byNode: readonly ProfileRow[];
  readonly byOpType: readonly ProfileRow[];
}

/** Per node and per operator type, slowest first: mean time per run and share of all node time. */
export function summarizeProfile(profile: Profile): ProfileSummary {
  const runs = Math.max(1, profile.runs.length);
  const total = profile.events.reduce((a, e) => a + e.durUs, 0);
  const percent = (us: number) => (total > 0 ? (100 * us) / total : 0);
  const nodes = new Map<string, { opType: string; us: number; outputShape?: readonly number[] }>();
  const types = new Map<string, { nodes: Set<string>; us: number }>();
  for (const e of profile.events) {
    const node = nodes.get(e.node) ?? { opType: e.opType, us: 0, outputShape: e.outputShapes[0] };
    node.us += e.durUs;
    nodes.set(e.node, node);
    const type = types.get(e.opType) ?? { nodes: new Set<string>(), us: 0 };
    type.us += e.durUs;
    type.nodes.add(e.node);
    types.set(e.opType, type);
  }
  const byNode = [...nodes].map(([name, n]) => ({
    name, opType: n.opType, nodes: 1, usPerRun: n.us / runs, percent: percent(n.us), ...(n.outputShape ? { outputShape: n.outputShape } : {}),
  }));
  const byOpType = [...types].map(([name, t]) => ({ name, opType: name, nodes: t.nodes.size, usPerRun: t.us / runs, percent: percent(t.us) }));
  const durations = profile.runs.map((r) => r.durUs).sort((a, b) => a - b);
  return {
    runs: profile.runs.length,
    medianRunUs: durations.length > 0 ? durations[Math.floor(durations.length / 2)]! : 0,
    nodeUsPerRun: total / runs,
    byNode: byNode.sort((a, b) => b.usPerRun - a.usPerRun),
    byOpType: byOpType.sort((a, b) => b.usPerRun - a.usPerRun),
  };
}

/** A Chrome trace-event document (JSON object format): one complete ("X") event per run and per node, in µs. */
export function chromeTrace(profile: Profile, processName = "qkit"): { traceEvents: object[]; displayTimeUnit: "ms" } {
  const events: object[] = [
    { name: "process_name", ph: "M", pid: 1, tid: 0, args: { name: processName } },
    { name: "thread_name", ph: "M", pid: 1, tid: 0, args: { name: "session.run" } },
  ];
  profile.runs.forEach((r, i) => events.push({ name: `run ${i}`, cat: "session", ph: "X", ts: r.startUs, dur: r.durUs, pid: 1, tid: 0, args: { run: i } }));
  for (const e of profile.events) {
    events.push({
      name: e.node, cat: "node", ph: "X", ts: e.startUs, dur: e.durUs, pid: 1, tid: 0,
      args: {
        op_type: e.opType, run: e.run, input_shapes: e.inputShapes, output_shapes: e.outputShapes,
        ...(e.fused.length > 0 ? { fused: e.fused } : {}),
      },
    });
  }
  return { traceEvents: events, displayTimeUnit: "ms" };
}
