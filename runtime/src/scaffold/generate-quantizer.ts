import type { ClassDeclarationStructure, FunctionDeclarationStructure, ImportDeclarationStructure, OptionalKind, ParameterDeclarationStructure, StatementStructures, VariableStatementStructure, WriterFunction } from "ts-morph";
import { isPerChannel } from "../quant-types.js";
import { loadTsMorph } from "./load-ts-morph.js";
import type { ModelPatterns } from "./model-patterns.js";
import type { SpecSketch, StyleSketch } from "./styles.js";

export interface QuantizerSketch {
  /** The model's file name, for the header. */
  modelName: string;
  /** `qkit init --like` as written, for the header. */
  styleName: string;
  style: StyleSketch;
  patterns: ModelPatterns;
}

const PER_GROUP_CONFIG_DOCS = {
  weighted: "the input, the weight along the output channels and an int32 bias derived from both; the output",
  binary: "both inputs and the output",
  concat: "the first input; the other inputs and the output share its observer",
  sharing: "the input; the output shares its observer, since these ops keep their input's range",
};

/**
 * The text of a quantizer file for a model: its specs, a `QuantizationConfig` per pattern the model has, one loop per
 * op type over `getSourcePartitions`, int32 biases derived from the input's and weight's scales, and non-float values
 * (ids, masks, shapes) skipped. Built from ts-morph structures and printed by it.
 */
export function generateQuantizer(sketch: QuantizerSketch): string {
  const { Project, QuoteKind, IndentationText, StructureKind } = loadTsMorph();
  const project = new Project({
    useInMemoryFileSystem: true,
    manipulationSettings: { quoteKind: QuoteKind.Double, indentationText: IndentationText.TwoSpaces, useTrailingCommas: true },
  });
  const { style, patterns } = sketch;
  const fuseRelu = style.fuseRelu && (patterns.weighted.length > 0 || patterns.binary.length > 0);
  const perChannel = isPerChannel(style.weight.qscheme);
  const helpers = helperFunctions(patterns, fuseRelu, perChannel, StructureKind.Function);
  const configs = configStatements(patterns, StructureKind.VariableStatement);
  const opTypes = [...patterns.weighted, ...patterns.binary, ...(patterns.concat ? ["Concat"] : []), ...patterns.sharing];

  const statements: (string | WriterFunction | StatementStructures)[] = [
    header(sketch),
    ...importDeclarations(sketch, helpers.map((h) => h.name!), configs.length > 0, StructureKind.ImportDeclaration),
    specStatement("activation", "Activations", style.activation, undefined, StructureKind.VariableStatement),
    ...(patterns.weighted.length > 0 ? [specStatement("weight", "Weights", style.weight, perChannel ? 0 : undefined, StructureKind.VariableStatement)] : []),
    ...configs,
    ...helpers,
    quantizerClass(className(sketch.modelName), opTypes, patterns, StructureKind.Class),
  ];
  const file = project.createSourceFile("quantizer.ts", { statements });
  file.formatText({ indentSize: 2, tabSize: 2, convertTabsToSpaces: true });
  // One blank line between the declarations, as a person writes them (ts-morph keeps consecutive consts together).
  for (const statement of file.getVariableStatements()) {
    if (["VariableStatement", "ImportDeclaration"].includes(statement.getPreviousSibling()?.getKindName() ?? "")) statement.prependWhitespace("\n");
  }
  return file.getFullText();
}

function header(sketch: QuantizerSketch): WriterFunction {
  const { style, patterns } = sketch;
  // NUL keeps an op and its count on one line when wrapping; it becomes a space after.
  const list = (ops: [string, number][]) => ops.map(([op, n]) => `${op}\0×${n}`).join(", ");
  const quantized = patterns.counts.filter(([op]) => !patterns.leftFloat.some(([f]) => f === op));
  const lines = [
    `A quantizer for ${sketch.modelName}, written by \`qkit init --like ${sketch.styleName}\` in the manner of ${style.builtin}:`,
    `${style.summary}; biases int32 with scale s_input · s_weight.`,
    `Quantized where the values are float: ${list(quantized) || "none"}.`,
    ...(patterns.leftFloat.length > 0 ? [`Left float: ${list(patterns.leftFloat)}.`] : []),
    "Each pattern has its own QuantizationConfig below: change one to change how that pattern is quantized.",
  ];
  return (writer) => {
    writer.writeLine("/**");
    for (const line of lines.flatMap((l) => wrap(l, 117))) writer.writeLine(` * ${line.replaceAll("\0", " ")}`);
    writer.writeLine(" */");
  };
}

/** A doc comment's text, wrapped to fit the file's width. */
function doc(text: string): string {
  return wrap(text, 114).join("\n");
}

/** Words of `text` in lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return line ? [...lines, line] : lines;
}

function importDeclarations(sketch: QuantizerSketch, helpers: string[], hasConfigs: boolean, kind: ImportDeclarationStructure["kind"]): ImportDeclarationStructure[] {
  const { style, patterns } = sketch;
  const observers = new Set([style.activation.observer, ...(patterns.weighted.length > 0 ? [style.weight.observer] : [])]);
  const values = [
    ...observers,
    "QuantizationAnnotation",
    "QuantizationSpec",
    "Quantizer",
    "annotationOf",
    "getSourcePartitions",
    ...(helpers.includes("biasSpec") ? ["DerivedQuantizationSpec"] : []),
    ...(patterns.concat || patterns.sharing.length > 0 ? ["SharedQuantizationSpec"] : []),
  ].sort((a, b) => a.localeCompare(b, "en", { caseFirst: "upper" }));
  const types = ["GraphModule", "Node", ...(hasConfigs ? ["QuantizationConfig"] : []), "QuantizationSpecBase"];
  return [
    { kind, moduleSpecifier: "qkit", namedImports: values.map((name) => ({ name })) },
    { kind, moduleSpecifier: "qkit", isTypeOnly: true, namedImports: types.map((name) => ({ name })) },
  ];
}

function specStatement(name: string, what: string, spec: SpecSketch, chAxis: number | undefined, kind: VariableStatementStructure["kind"]): VariableStatementStructure {
  const observer = spec.smallEps ? `${spec.observer}.withArgs({ eps: 2 ** -12 })` : spec.observer;
  const fields: Record<string, string> = {
    dtype: JSON.stringify(spec.dtype),
    quantMin: String(spec.quantMin),
    quantMax: String(spec.quantMax),
    qscheme: JSON.stringify(spec.qscheme),
    ...(chAxis !== undefined ? { chAxis: String(chAxis) } : {}),
    observer,
  };
  const range = `${spec.dtype} [${spec.quantMin}, ${spec.quantMax}] ${spec.qscheme.replaceAll("_", " ")}`;
  const channels = chAxis !== undefined ? "; each op sets chAxis to its output channels (weightSpecFor)" : "";
  return {
    kind,
    declarationKind: "const" as VariableStatementStructure["declarationKind"],
    docs: [doc(`${what}: ${range}, observed with ${spec.observer}${channels}.`)],
    declarations: [{ name, initializer: (writer) => writer.write("new QuantizationSpec(").write(objectLiteral(fields)).write(")") }],
  };
}

function objectLiteral(fields: Record<string, string>): string {
  return `{\n${Object.entries(fields).map(([key, value]) => `  ${key === value ? key : `${key}: ${value}`},`).join("\n")}\n}`;
}

function configName(opType: string): string {
  return `${opType[0]!.toLowerCase()}${opType.slice(1)}Config`;
}

function configStatements(patterns: ModelPatterns, kind: VariableStatementStructure["kind"]): VariableStatementStructure[] {
  const config = (name: string, text: string, fields: Record<string, string>): VariableStatementStructure => ({
    kind,
    declarationKind: "const" as VariableStatementStructure["declarationKind"],
    docs: [doc(text)],
    declarations: [{ name, type: "QuantizationConfig", initializer: objectLiteral(fields) }],
  });
  const weightedFields = { inputActivation: "activation", outputActivation: "activation", weight: "weight", bias: '"derived"' };
  const activationFields = { inputActivation: "activation", outputActivation: "activation", weight: "undefined", bias: "undefined" };
  return [
    ...patterns.weighted.map((op) => config(configName(op), `${op}: ${PER_GROUP_CONFIG_DOCS.weighted}.`, weightedFields)),
    ...patterns.binary.map((op) => config(configName(op), `${op}: ${PER_GROUP_CONFIG_DOCS.binary}.`, activationFields)),
    ...(patterns.concat ? [config("concatConfig", `Concat: ${PER_GROUP_CONFIG_DOCS.concat}.`, activationFields)] : []),
    ...(patterns.sharing.length > 0
      ? [config("sharedRangeConfig", `${patterns.sharing.join(", ")}: ${PER_GROUP_CONFIG_DOCS.sharing}.`, { ...activationFields, outputActivation: "undefined" })]
      : []),
  ];
}

type FunctionStructure = FunctionDeclarationStructure;

function fn(kind: FunctionStructure["kind"], name: string, text: string, parameters: OptionalKind<ParameterDeclarationStructure>[], returnType: string, statements: string[]): FunctionStructure {
  return { kind, name, docs: [doc(text)], parameters, returnType, statements };
}

const NODE: OptionalKind<ParameterDeclarationStructure> = { name: "node", type: "Node" };
const CONFIG: OptionalKind<ParameterDeclarationStructure> = { name: "config", type: "QuantizationConfig" };

function helperFunctions(patterns: ModelPatterns, fuseRelu: boolean, perChannel: boolean, kind: FunctionStructure["kind"]): FunctionStructure[] {
  const helpers: FunctionStructure[] = [
    fn(kind, "isFloatActivation", "A value computed at run time that can be quantized: not a constant, a float tensor (never ids, masks or shapes), and not one that only decides shapes (a Resize's scales computed in float).", [{ name: "value", type: "Node | null | undefined" }], "value is Node", [
      'return !!value && value.kind !== "parameter" && value.isFloatValue && !value.isShapeOperand;',
    ]),
    fn(kind, "isAnnotated", "A node an earlier pattern already owns (PT2E's `_annotated`): later patterns leave it alone.", [NODE], "boolean", [
      "return annotationOf(node)?.annotated === true;",
    ]),
    fn(kind, "annotate", "Owns `node` and quantizes the given inputs and its output; an integer or bool output, or one that only decides shapes, stays as it is.", [NODE, { name: "inputs", type: "[Node, QuantizationSpecBase][]" }, { name: "output", type: "QuantizationSpecBase | undefined" }], "void", [
      "node.meta.quantizationAnnotation = new QuantizationAnnotation({ inputQspecMap: inputs, outputQspec: node.isFloatValue && !node.isShapeOperand ? output : undefined, annotated: true });",
    ]),
  ];
  if (fuseRelu) {
    helpers.push(fn(kind, "fusedRelu", "The op's only user when it is a Relu no pattern owns yet: the pattern's output is quantized after it, not between.", [NODE], "Node | undefined", [
      "const users = [...node.users];",
      'return users.length === 1 && users[0]!.opType === "Relu" && !isAnnotated(users[0]!) ? users[0] : undefined;',
    ]));
  }
  if (patterns.weighted.length > 0) {
    if (perChannel) {
      helpers.push(fn(kind, "outputChannelAxis", "The weight's axis that holds the op's output channels.", [NODE], "number", [
        `switch (node.opType) {
  case "ConvTranspose": return 1;
  case "Gemm": return node.intAttribute("transB", 0) ? 0 : 1;
  case "MatMul": return (node.args[1]?.meta.shape?.length ?? 2) - 1;
  default: return 0;
}`,
      ]));
      helpers.push(fn(kind, "weightSpecFor", "The weight spec with its channel axis on the op's output channels.", [NODE, { name: "spec", type: "QuantizationSpec" }], "QuantizationSpec", [
        "const chAxis = outputChannelAxis(node);",
        "return chAxis === spec.chAxis ? spec : new QuantizationSpec({ ...spec, chAxis });",
      ]));
    }
    const qscheme = perChannel ? '"per_channel_symmetric"' : '"per_tensor_symmetric"';
    helpers.push(fn(kind, "biasSpec", "An int32 bias with scale s_input · s_weight (per output channel) and zero point 0, as integer kernels need.", [{ name: "input", type: "Node" }, { name: "weightNode", type: "Node" }, NODE], "DerivedQuantizationSpec", [
      `return new DerivedQuantizationSpec(${objectLiteral({
        derivedFrom: "[[input, node], [weightNode, node]]",
        deriveQparams: "([act, w]) => {\n    const a = act.calculateQparams().scale[0]!;\n    const ws = w.calculateQparams().scale;\n    return { scale: Float32Array.from(ws, (s) => Math.fround(a * s)), zeroPoint: new Int32Array(ws.length) };\n  }",
        dtype: '"int32"',
        quantMin: "-(2 ** 31)",
        quantMax: "2 ** 31 - 1",
        qscheme,
        ...(perChannel ? { chAxis: "0" } : {}),
      })});`,
    ]));
    const weightSpec = perChannel ? "config.weight && weightSpecFor(node, config.weight)" : "config.weight";
    helpers.push(fn(kind, "annotateWeighted", "An op with a constant weight: its input, its weight and an int32 bias. MatMul of two activations (attention): both inputs.", [NODE, CONFIG], "void", [
      "const [input, weightNode, bias] = node.args;",
      "if (!isFloatActivation(input) || !weightNode || isAnnotated(node) || !config.inputActivation) return;",
      `if (weightNode.kind !== "parameter") {
  if (node.opType === "MatMul" && isFloatActivation(weightNode)) annotate(node, [[input, config.inputActivation], [weightNode, config.inputActivation]], config.outputActivation);
  return;
}`,
      "const inputs: [Node, QuantizationSpecBase][] = [[input, config.inputActivation]];",
      `const weightSpec = ${weightSpec};`,
      "if (weightSpec) inputs.push([weightNode, weightSpec]);",
      '// Integer kernels add the bias in int32: its scale follows from the input\'s and the weight\'s.',
      'if (bias && bias.kind === "parameter" && bias.isFloatValue && weightSpec && config.bias === "derived") inputs.push([bias, biasSpec(input, weightNode, node)]);',
      ...outputStatements(fuseRelu),
    ]));
  }
  if (patterns.binary.length > 0) {
    helpers.push(fn(kind, "annotateBinary", "Add or Mul of two activations: both inputs and the output (a constant operand leaves the op float).", [NODE, CONFIG], "void", [
      "const [a, b] = node.args;",
      "if (!isFloatActivation(a) || !isFloatActivation(b) || !node.isFloatValue || isAnnotated(node) || !config.inputActivation) return;",
      "const inputs: [Node, QuantizationSpecBase][] = [[a, config.inputActivation], [b, config.inputActivation]];",
      ...outputStatements(fuseRelu),
    ]));
  }
  if (patterns.concat) {
    helpers.push(fn(kind, "annotateConcat", "Concat: every input and the output share the first input's observer, so no input needs rescaling.", [NODE, CONFIG], "void", [
      "const values = node.args.filter(isFloatActivation);",
      "const first = values[0];",
      "if (!first || !node.isFloatValue || isAnnotated(node) || !config.inputActivation) return;",
      "const shared = new SharedQuantizationSpec([first, node]);",
      "annotate(node, values.map((value, i): [Node, QuantizationSpecBase] => [value, i === 0 ? config.inputActivation! : shared]), shared);",
    ]));
  }
  if (patterns.sharing.length > 0) {
    helpers.push(fn(kind, "annotateSharedWithInput", "An op that keeps its input's range (ReLU, pools, reshapes): the input is quantized and the output shares its observer.", [NODE, CONFIG], "void", [
      "const input = node.args[0];",
      "if (!isFloatActivation(input) || node.isMultiOutput || !node.isFloatValue || isAnnotated(node) || !config.inputActivation) return;",
      "annotate(node, [[input, config.inputActivation]], new SharedQuantizationSpec([input, node]));",
    ]));
  }
  return helpers;
}

function outputStatements(fuseRelu: boolean): string[] {
  return fuseRelu
    ? [
      "const relu = fusedRelu(node);",
      "annotate(node, inputs, relu ? undefined : config.outputActivation);",
      "if (relu) annotate(relu, [], config.outputActivation);",
    ]
    : ["annotate(node, inputs, config.outputActivation);"];
}

function quantizerClass(name: string, opTypes: string[], patterns: ModelPatterns, kind: ClassDeclarationStructure["kind"]): ClassDeclarationStructure {
  const loop = (ops: string[], call: (op: string) => string) => ops.map((op) => `for (const partition of partitions.${op}) ${call(op)}`);
  const body = opTypes.length === 0 ? ["// The model has no float operator this scaffold quantizes: it stays float.", "return model;"] : [
    `const partitions = getSourcePartitions(model.graph, [${opTypes.map((op) => JSON.stringify(op)).join(", ")}]);`,
    ...(patterns.weighted.length > 0 ? ["// Ops with weights first: a Relu they fuse is theirs."] : []),
    ...loop(patterns.weighted, (op) => `annotateWeighted(partition.nodes[0]!, ${configName(op)});`),
    ...loop(patterns.binary, (op) => `annotateBinary(partition.nodes[0]!, ${configName(op)});`),
    ...(patterns.concat ? loop(["Concat"], () => "annotateConcat(partition.nodes[0]!, concatConfig);") : []),
    ...(patterns.sharing.length > 0
      ? [`for (const partition of [${patterns.sharing.map((op) => `...partitions.${op}`).join(", ")}]) annotateSharedWithInput(partition.nodes[0]!, sharedRangeConfig);`]
      : []),
    "return model;",
  ];
  return {
    kind,
    name,
    isExported: true,
    isDefaultExport: true,
    extends: "Quantizer",
    methods: [{ name: "annotate", parameters: [{ name: "model", type: "GraphModule" }], returnType: "GraphModule", statements: body }],
  };
}

/** `resnet18_op13.onnx` → `Resnet18Op13Quantizer`. */
export function className(modelName: string): string {
  const words = modelName.replace(/\.onnx$/i, "").split(/[^A-Za-z0-9]+/).filter(Boolean);
  const pascal = words.map((w) => `${w[0]!.toUpperCase()}${w.slice(1)}`).join("");
  return `${/^[A-Za-z]/.test(pascal) ? "" : "Model"}${pascal}Quantizer`;
}
