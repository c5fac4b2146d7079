import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { existsSync, readdirSync, statSync, writeFileSync, readFileSync } from "node:fs";
import {
  loadModel, saveModel, serializeModel, ModelLoadError, ModelSaveError, makeTensor, tensorValues, onnx, attributes,
  type DataType,
} from "../src/tooling.js";
import { EXAMPLES, sharedModel, skipUnlessShared, withTempDir } from "./helpers/data.js";
import { modelBytes, node, valueInfo } from "./helpers/build.js";

const SHARED = ["fmnist_cnn_op13.onnx", "fmnist_cnn_op17.onnx", "resnet18_op13.onnx", "mobilenet_v2_op13.onnx",
  "fmnist_cnn_op13.qdq_u8s8.onnx", "fmnist_cnn_op13.qdq_s8s8.onnx", "resnet18_op13.qdq_u8s8.onnx", "resnet18_op13.qdq_s8s8.onnx"];

for (const file of SHARED) {
  test(`round trip: ${file} saves and reloads equal`, { skip: skipUnlessShared(file) }, async () => {
    await withTempDir(async (dir) => {
      const first = await loadModel(sharedModel(file)!);
      first.graph.lint();
      const out = path.join(dir, file);
      await saveModel(first, out);
      const second = await loadModel(out);
      second.graph.lint();
      assert.equal(second.graph.toString(), first.graph.toString());
      assert.deepEqual(Buffer.from(serializeModel(second)), Buffer.from(serializeModel(first)));
      assert.deepEqual(readdirSync(dir), [file], "no temp files are left behind");
    });
  });
}

test("the example model qkit ships loads and round-trips", async () => {
  await withTempDir(async (dir) => {
    const model = await loadModel(path.join(EXAMPLES, "fmnist_cnn_op13.onnx"));
    await saveModel(model, path.join(dir, "m.onnx"));
    const again = await loadModel(path.join(dir, "m.onnx"));
    assert.equal(again.graph.toString(), model.graph.toString());
  });
});

const ALL_TYPES: [DataType, ArrayLike<number | bigint> | string[]][] = [
  ["float32", Float32Array.of(1.5, -2, 3.25)],
  ["float64", Float64Array.of(1e-300, 2, -3)],
  ["float16", Uint16Array.of(0x3c00, 0xc000, 0x7bff)],
  ["bfloat16", Uint16Array.of(0x3f80, 0xc000, 0x7f7f)],
  ["int8", Int8Array.of(-128, 0, 127)],
  ["uint8", Uint8Array.of(0, 128, 255)],
  ["int16", Int16Array.of(-32768, 1, 32767)],
  ["uint16", Uint16Array.of(0, 1, 65535)],
  ["int32", Int32Array.of(-2147483648, 5, 2147483647)],
  ["uint32", Uint32Array.of(0, 7, 4294967295)],
  ["int64", BigInt64Array.of(-(2n ** 63n), 3n, 2n ** 62n)],
  ["uint64", BigUint64Array.of(0n, 9n, 2n ** 64n - 1n)],
  ["bool", Uint8Array.of(1, 0, 1)],
  ["string", ["a", "ünïcode", ""]],
];

/** The same values stored in the typed repeated fields instead of raw_data, as older exporters write them. */
function typedFieldTensor(name: string, type: DataType, values: ArrayLike<number | bigint> | string[]): onnx.TensorProto {
  const t = makeTensor(name, type, [3], type === "string" ? (values as string[]) : (values as never));
  if (type === "string") return t;
  t.rawData = new Uint8Array(0);
  const numbers = Array.from(values as ArrayLike<number | bigint>);
  switch (type) {
    case "float32": t.floatData = numbers.map(Number); break;
    case "float64": t.doubleData = numbers.map(Number); break;
    case "int64": t.int64Data = numbers.map((v) => v.toString() as unknown as number); break;
    case "uint32": case "uint64": t.uint64Data = numbers.map((v) => v.toString() as unknown as number); break;
    default: t.int32Data = numbers.map(Number);
  }
  return t;
}

test("every ONNX element type loads from raw_data and from the typed fields, and saves back equal", async () => {
  await withTempDir(async (dir) => {
    const initializer = ALL_TYPES.flatMap(([type, values]) => [
      makeTensor(`raw_${type}`, type, [3], values as never),
      typedFieldTensor(`typed_${type}`, type, values),
    ]);
    const nodes = initializer.map((t) => node("Identity", [t.name], [`out_${t.name}`]));
    const bytes = modelBytes({
      name: "types", initializer, node: nodes,
      output: initializer.map((t) => valueInfo(`out_${t.name}`, ALL_TYPES.find(([ty]) => t.name.endsWith(`_${ty}`))![0], [3])),
    });
    const file = path.join(dir, "types.onnx");
    writeFileSync(file, bytes);
    const model = await loadModel(file);
    for (const [type, values] of ALL_TYPES) {
      for (const prefix of ["raw", "typed"]) {
        const param = model.graph.producerOf(`${prefix}_${type}`)!;
        assert.ok(param, `${prefix}_${type} is a parameter`);
        assert.equal(param.meta.dtype, type);
        assert.deepEqual(Array.from(tensorValues(param.tensor!) as ArrayLike<unknown>), Array.from(values as ArrayLike<unknown>), `${prefix}_${type}`);
      }
    }
    await saveModel(model, path.join(dir, "again.onnx"));
    const again = await loadModel(path.join(dir, "again.onnx"));
    for (const [type, values] of ALL_TYPES) {
      const param = again.graph.producerOf(`typed_${type}`)!;
      assert.deepEqual(Array.from(tensorValues(param.tensor!) as ArrayLike<unknown>), Array.from(values as ArrayLike<unknown>));
    }
  });
});

test("attributes of every kind, doc strings, metadata, value_info and functions survive a round trip", async () => {
  await withTempDir(async (dir) => {
    const AttrType = onnx.AttributeProto.AttributeType;
    const subgraph = new onnx.GraphProto({ name: "body", node: [node("Identity", ["x"], ["y"])], input: [valueInfo("x", "float32", [1])], output: [valueInfo("y", "float32", [1])] });
    const attrs: onnx.IAttributeProto[] = [
      { name: "f", type: AttrType.FLOAT, f: 0.5 },
      { name: "i", type: AttrType.INT, i: 7 },
      { name: "s", type: AttrType.STRING, s: Buffer.from("text") },
      { name: "t", type: AttrType.TENSOR, t: makeTensor("", "float32", [2], Float32Array.of(1, 2)) },
      { name: "g", type: AttrType.GRAPH, g: subgraph },
      { name: "floats", type: AttrType.FLOATS, floats: [1, 2.5] },
      { name: "ints", type: AttrType.INTS, ints: [1, -2, 3] },
      { name: "strings", type: AttrType.STRINGS, strings: [Buffer.from("a"), Buffer.from("b")] },
      { name: "tensors", type: AttrType.TENSORS, tensors: [makeTensor("", "int8", [1], Int8Array.of(-3))] },
      { name: "graphs", type: AttrType.GRAPHS, graphs: [subgraph] },
    ];
    const custom = new onnx.NodeProto({ name: "custom", opType: "Anything", domain: "com.example", input: ["x"], output: ["y"], attribute: attrs, docString: "node doc" });
    const proto = new onnx.ModelProto({
      irVersion: 8, opsetImport: [{ domain: "", version: 17 }, { domain: "com.example", version: 1 }],
      producerName: "p", producerVersion: "1.2", domain: "d", modelVersion: 3, docString: "model doc",
      metadataProps: [{ key: "k", value: "v" }],
      functions: [{ name: "F", domain: "com.example", input: ["a"], output: ["b"], node: [node("Relu", ["a"], ["b"])], opsetImport: [{ domain: "", version: 17 }] }],
      graph: { name: "g", docString: "graph doc", node: [custom, node("Relu", ["y"], ["z"])], input: [valueInfo("x", "float32", ["n", 4])], output: [valueInfo("z", "float32", ["n", 4])], valueInfo: [valueInfo("y", "float32", ["n", 4])] },
    });
    const file = path.join(dir, "attrs.onnx");
    writeFileSync(file, onnx.ModelProto.encode(proto).finish());
    const model = await loadModel(file);
    const n = model.graph.node("custom")!;
    assert.equal(n.domain, "com.example");
    assert.equal(n.docString, "node doc");
    assert.equal(n.attribute("f"), 0.5);
    assert.equal(n.attribute("i"), 7);
    assert.equal(n.attribute("s"), "text");
    assert.deepEqual(n.attribute("ints"), [1, -2, 3]);
    assert.deepEqual(n.attribute("strings"), ["a", "b"]);
    assert.deepEqual(n.meta.shape, ["n", 4]);
    assert.equal(model.opset("com.example"), 1);
    await saveModel(model, path.join(dir, "again.onnx"));
    const saved = onnx.ModelProto.decode(readFileSync(path.join(dir, "again.onnx")));
    const original = onnx.ModelProto.decode(readFileSync(file));
    const plain = (m: onnx.ModelProto) => onnx.ModelProto.toObject(m, { longs: String, bytes: String, defaults: false });
    assert.deepEqual(plain(saved), plain(original));
    assert.equal(attributes.attributeTypeName(saved.graph!.node![0]!.attribute![4]!), "GRAPH");
  });
});

test("external data: a model saved with its weights in a data file reloads equal and runs in ONNX Runtime", async () => {
  const ort = await import("onnxruntime-node");
  await withTempDir(async (dir) => {
    const model = await loadModel(path.join(EXAMPLES, "fmnist_cnn_op13.onnx"));
    const out = path.join(dir, "ext.onnx");
    await saveModel(model, out, { externalData: true });
    // The data file is named by its content's hash: a new one never replaces the file an older model reads.
    const [data, ...others] = readdirSync(dir).filter((f) => /^ext\.onnx\.[0-9a-f]{16}\.data$/.test(f));
    assert.ok(data && others.length === 0, readdirSync(dir).join(", "));
    assert.ok(statSync(out).size < 20_000, "the weights left the model file");
    const proto = onnx.ModelProto.decode(readFileSync(out));
    assert.ok(proto.graph!.initializer!.some((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL));
    const reloaded = await loadModel(out);
    assert.deepEqual(reloaded.externalDataLocations, [data]);
    assert.deepEqual(Buffer.from(serializeModel(reloaded)), Buffer.from(serializeModel(model)));
    // Saving a model that came with external data keeps it external by default.
    await saveModel(reloaded, path.join(dir, "again.onnx"));
    assert.ok(existsSync(path.join(dir, data.replace("ext.onnx", "again.onnx"))), "the same data, the same hash");

    const input = new Float32Array(2 * 28 * 28).map((_, i) => Math.sin(i));
    const run = async (file: string) => {
      const session = await ort.InferenceSession.create(file);
      const result = await session.run({ input: new ort.Tensor("float32", input, [2, 1, 28, 28]) });
      return Array.from(result[session.outputNames[0]!]!.data as Float32Array);
    };
    assert.deepEqual(await run(out), await run(path.join(EXAMPLES, "fmnist_cnn_op13.onnx")));
  });
});

test("bad input: each problem is a ModelLoadError with its own code and a one-line message naming the file", async () => {
  await withTempDir(async (dir) => {
    const expectError = async (file: string | Uint8Array, code: string, pattern: RegExp) => {
      await assert.rejects(loadModel(file, { name: "bytes.onnx" }), (error: unknown) => {
        assert.ok(error instanceof ModelLoadError, String(error));
        assert.equal(error.code, code, error.message);
        assert.match(error.message, pattern);
        assert.ok(!error.message.includes("\n"), "one line");
        return true;
      });
    };
    await expectError(path.join(dir, "missing.onnx"), "not-found", /missing\.onnx: no such file/);
    await expectError(dir, "unreadable", /is a folder/);
    const text = path.join(dir, "hostname");
    writeFileSync(text, "build-machine-7\n");
    await expectError(text, "not-onnx", /hostname: is not an ONNX model/);
    const empty = path.join(dir, "empty.onnx");
    writeFileSync(empty, "");
    await expectError(empty, "not-onnx", /is empty/);
    const whole = readFileSync(path.join(EXAMPLES, "fmnist_cnn_op13.onnx"));
    const truncated = path.join(dir, "truncated.onnx");
    writeFileSync(truncated, whole.subarray(0, whole.length >> 1));
    await expectError(truncated, "truncated", /truncated\.onnx: is truncated or corrupt/);
    const graph = { node: [node("Relu", ["x"], ["y"])], input: [valueInfo("x", "float32", [1])], output: [valueInfo("y", "float32", [1])] };
    await expectError(modelBytes(graph, { irVersion: 2 }), "unsupported-ir", /bytes\.onnx: has IR version 2/);
    await expectError(modelBytes(graph, { opset: 0 }), "unsupported-opset", /imports opset 0; qkit supports ai\.onnx opsets 1 to 26/);
    await expectError(modelBytes(graph, { opset: 99 }), "unsupported-opset", /imports opset 99/);
    await expectError(modelBytes({ ...graph, node: [node("Relu", ["nowhere"], ["y"])] }), "not-onnx", /reads tensor 'nowhere'/);
    const ext = path.join(dir, "ext.onnx");
    const externalTensor = new onnx.TensorProto({ name: "w", dataType: 1, dims: [4], dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: [{ key: "location", value: "w.bin" }] });
    writeFileSync(ext, modelBytes({ ...graph, initializer: [externalTensor], node: [node("Add", ["x", "w"], ["y"])] }));
    await expectError(ext, "external-data", /tensor 'w' is stored in 'w\.bin', which cannot be read/);
    writeFileSync(path.join(dir, "w.bin"), new Uint8Array(8));
    await expectError(ext, "external-data", /tensor 'w' has 8 bytes in 'w\.bin', its shape needs 16/);
  });
});

test("a save that fails names the file and leaves nothing behind", async () => {
  await withTempDir(async (dir) => {
    const model = await loadModel(path.join(EXAMPLES, "fmnist_cnn_op13.onnx"));
    const target = path.join(dir, "no-such-folder", "m.onnx");
    await assert.rejects(saveModel(model, target), (e: unknown) => e instanceof ModelSaveError && /no-such-folder\/m\.onnx: cannot be written \(ENOENT\)/.test(e.message));
    const existing = path.join(dir, "existing.onnx");
    writeFileSync(existing, "old contents");
    // A folder where the model should go makes the external-data save fail after the data was written; the data
    // file nothing reads is removed.
    const blocked = path.join(dir, "blocked.onnx");
    (await import("node:fs")).mkdirSync(blocked);
    await assert.rejects(saveModel(model, blocked, { externalData: true }), ModelSaveError);
    assert.deepEqual(readdirSync(dir).sort(), ["blocked.onnx", "existing.onnx"]);
    assert.equal(readFileSync(existing, "utf8"), "old contents");
  });
});
