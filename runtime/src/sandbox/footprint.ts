import Module from "node:module";
import { createHook, executionAsyncId } from "node:async_hooks";
import { v8 } from "../lazy-builtins.js";

/**
 * What a job left behind in its sandbox, so that a sandbox is given another job only when the last one left no
 * trace a later job could see. A fresh process per job is the simple way to keep jobs apart, but it costs every job a
 * Node start, the runtime's load and cold code (most of an editor's check); a sandbox whose job changed nothing
 * reachable is as good as a fresh one, and one that changed anything, or may have, is thrown away.
 *
 * Reachable means: the global object and, through its own properties, every global's own properties and those of its
 * prototype (the intrinsics, `process`, Node's globals); the same for the `roots` a job is handed (the author API the
 * quantizer imports) and the exports of every built-in module loaded so far; `process.env`, the working directory
 * and the listeners on `process`; the handles open; the modules in Node's module cache; the timers, handles and
 * requests the job started and did not end (unref'd ones too); and the heap, which must not have grown by more than
 * `maxHeapGrowthMb`. Loading a built-in module or a package that was not loaded before is a trace too (their state
 * was not in the first footprint).
 */
export interface Footprint {
  /** A job starts: from now on the timers, handles and requests it creates are followed until they end. */
  jobStarts(): void;
  /**
   * Why the sandbox is not as it was (the first difference found), or undefined when it is; asked once the job's own
   * callbacks have run.
   */
  changedSince(): string | undefined;
}

export interface FootprintOptions {
  /** Objects a job is handed beside the globals (the author API). */
  roots: Record<string, unknown>;
  maxHeapGrowthMb: number;
}

type Shape = { extensible: boolean; keys: PropertyKey[]; slots: unknown[] };

// A bound on the walk: the globals and the author API have some thousands of objects in all.
const MAX_OBJECTS = 20_000;
const DEPTH = 3;

export function takeFootprint(options: FootprintOptions): Footprint {
  const before = snapshotOf(options);
  // What the job started and has not ended: an unref'd timer keeps no process alive, so only its start tells of it.
  const started = new Map<number, string>();
  const hook = createHook({
    init(id, type) {
      if (type !== "PROMISE") started.set(id, type);
    },
    destroy(id) {
      started.delete(id);
    },
  });
  return {
    jobStarts() {
      started.clear();
      hook.enable();
    },
    changedSince() {
      hook.disable();
      // The callback asking (the caller's own timer, say) has not ended yet.
      started.delete(executionAsyncId());
      if (started.size) return `what it started is still running (${counted([...started.values()])})`;
      const now = snapshotOf(options);
      if (now.heapMb > before.heapMb + options.maxHeapGrowthMb) return `its heap grew by ${Math.round(now.heapMb - before.heapMb)} MB`;
      if (now.cwd !== before.cwd) return "the working directory changed";
      if (now.env !== before.env) return "process.env changed";
      if (now.listeners !== before.listeners) return "listeners on process changed";
      if (now.resources !== before.resources) return `handles were left open (${now.resources || "none"} where there were ${before.resources || "none"})`;
      const newModule = now.modules.find((m) => !before.moduleSet.has(m));
      if (newModule !== undefined) return `a module was loaded into Node's module cache (${newModule})`;
      const newBuiltin = now.builtins.find((b) => !before.builtinSet.has(b));
      if (newBuiltin !== undefined) return `a built-in module was loaded (${newBuiltin})`;
      for (const [object, shape] of before.shapes) {
        const changed = differs(object, shape);
        if (changed) return `${before.paths.get(object)}${changed}`;
      }
      return undefined;
    },
  };
}

interface Snapshot {
  heapMb: number;
  cwd: string;
  env: string;
  listeners: string;
  resources: string;
  modules: string[];
  moduleSet: Set<string>;
  builtins: string[];
  builtinSet: Set<string>;
  shapes: Map<object, Shape>;
  paths: Map<object, string>;
}

function snapshotOf(options: FootprintOptions): Snapshot {
  // First: reading the heap loads node:v8, which the list of loaded built-ins must already include.
  const heapMb = v8().getHeapStatistics().used_heap_size / 2 ** 20;
  const modules = Object.keys((Module as unknown as { _cache: Record<string, unknown> })._cache);
  const builtins = loadedBuiltins();
  const roots: [string, unknown][] = [["globalThis", globalThis], ...Object.entries(options.roots)];
  for (const name of builtins) roots.push([`node:${name}`, builtinExports(name)]);
  const { shapes, paths } = walk(roots);
  return {
    heapMb,
    cwd: process.cwd(),
    env: JSON.stringify(Object.entries(process.env).sort(([a], [b]) => (a < b ? -1 : 1))),
    listeners: process
      .eventNames()
      .map((e) => `${String(e)}:${(process as NodeJS.EventEmitter).listenerCount(e)}`)
      .sort()
      .join(","),
    resources: counted(process.getActiveResourcesInfo()),
    modules,
    moduleSet: new Set(modules),
    builtins,
    builtinSet: new Set(builtins),
    shapes,
    paths,
  };
}

/** Each object's own property slots (a data property's value, an accessor's getter and setter), breadth first. */
function walk(roots: [string, unknown][]): { shapes: Map<object, Shape>; paths: Map<object, string> } {
  const shapes = new Map<object, Shape>();
  const paths = new Map<object, string>();
  let level: [string, object][] = roots.filter((r): r is [string, object] => isObject(r[1]));
  for (let depth = 0; depth <= DEPTH && level.length; depth++) {
    const next: [string, object][] = [];
    for (const [path, object] of level) {
      if (shapes.has(object) || shapes.size >= MAX_OBJECTS) continue;
      const shape = shapeOf(object);
      shapes.set(object, shape);
      paths.set(object, path);
      if (depth === DEPTH) continue;
      shape.keys.forEach((key, i) => {
        const value = shape.slots[i * 3];
        if (isObject(value) && !ArrayBuffer.isView(value)) next.push([`${path}.${String(key)}`, value]);
      });
      const proto = Object.getPrototypeOf(object) as unknown;
      if (isObject(proto)) next.push([`${path}.[[Prototype]]`, proto]);
    }
    level = next;
  }
  return { shapes, paths };
}

function shapeOf(object: object): Shape {
  const keys = Reflect.ownKeys(object);
  const slots: unknown[] = [];
  for (const key of keys) {
    const d = Object.getOwnPropertyDescriptor(object, key);
    slots.push(d?.value, d?.get, d?.set);
  }
  slots.push(Object.getPrototypeOf(object));
  return { extensible: Object.isExtensible(object), keys, slots };
}

/** How the object differs from its shape: "" when it does not. */
function differs(object: object, shape: Shape): string {
  if (Object.isExtensible(object) !== shape.extensible) return " was frozen or sealed";
  const keys = Reflect.ownKeys(object);
  if (keys.length !== shape.keys.length) {
    const added = keys.find((k) => !shape.keys.includes(k));
    return added !== undefined ? ` gained the property ${String(added)}` : " lost a property";
  }
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] !== shape.keys[i]) return ` changed its property ${String(keys[i])}`;
    const d = Object.getOwnPropertyDescriptor(object, keys[i]!);
    if (!Object.is(d?.value, shape.slots[i * 3]) || d?.get !== shape.slots[i * 3 + 1] || d?.set !== shape.slots[i * 3 + 2]) return `.${String(keys[i])} was changed`;
  }
  if (Object.getPrototypeOf(object) !== shape.slots[keys.length * 3]) return "'s prototype was replaced";
  return "";
}

function isObject(value: unknown): value is object {
  return (typeof value === "object" && value !== null) || typeof value === "function";
}

function counted(items: string[]): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([item, n]) => `${n} ${item}`)
    .join(", ");
}

/** The public built-in modules loaded so far (Node's own record of what it loaded). */
function loadedBuiltins(): string[] {
  const list = (process as unknown as { moduleLoadList?: string[] }).moduleLoadList ?? [];
  const publicNames = new Set(Module.builtinModules);
  return list.flatMap((entry) => {
    const name = entry.startsWith("NativeModule ") ? entry.slice("NativeModule ".length) : undefined;
    return name !== undefined && publicNames.has(name) ? [name] : [];
  });
}

function builtinExports(name: string): unknown {
  try {
    return (Module as unknown as { _load(request: string): unknown })._load(name);
  } catch {
    return undefined;
  }
}
