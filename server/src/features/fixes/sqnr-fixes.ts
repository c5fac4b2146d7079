import type { ObjectLiteralExpression, SourceFile } from "ts-morph";
import { fix, type Fix, type Fixer } from "./fix.js";
import { editableSource, morph } from "./source-edit.js";
import { arrayOption, constructorAt, literalOf, optionsObject, optionValue, setOption, specAt } from "./syntax.js";

/** The options of the spec a variable in this file holds (`const act = new QuantizationSpec({ … })`). */
function specOptions(sf: SourceFile, name: string): ObjectLiteralExpression | undefined {
  const { SyntaxKind } = morph();
  const declaration = sf.getDescendantsOfKind(SyntaxKind.VariableDeclaration).find((d) => d.getName() === name);
  const init = declaration?.getInitializer();
  const call = init && specAt(sf, init.getStart());
  return call && call.getExpression().getText() === "QuantizationSpec" ? optionsObject(call) : undefined;
}

/** Import a name from "qkit" when the file does not yet. */
function ensureImport(sf: SourceFile, name: string): void {
  const qkit = sf.getImportDeclaration((d) => d.getModuleSpecifierValue() === "qkit");
  if (!qkit) sf.addImportDeclaration({ moduleSpecifier: "qkit", namedImports: [name] });
  else if (!qkit.getNamedImports().some((n) => n.getName() === name)) qkit.addNamedImport(name);
}

/** The specs an annotation uses, by variable name: the weight's (input 1) and the activations'. */
function annotationSpecs(sf: SourceFile, offset: number): { activations: string[]; weights: string[] } {
  const { Node } = morph();
  const call = constructorAt(sf, offset, "QuantizationAnnotation");
  const options = call && optionsObject(call);
  const activations = new Set<string>();
  const weights = new Set<string>();
  if (!options) return { activations: [], weights: [] };
  const output = optionValue(options, "outputQspec");
  if (output && Node.isIdentifier(output)) activations.add(output.getText());
  for (const entry of arrayOption(options, "inputQspecMap")?.getElements() ?? []) {
    if (!Node.isArrayLiteralExpression(entry)) continue;
    const [key, spec] = entry.getElements();
    if (!key || !spec || !Node.isIdentifier(spec)) continue;
    (/\.args\[1\]!?$/.test(key.getText()) ? weights : activations).add(spec.getText());
  }
  return { activations: [...activations].filter((a) => !weights.has(a)), weights: [...weights] };
}

/**
 * low-sqnr (after calibration): observe the annotation's activation specs with HistogramObserver, whose clipping
 * range ignores outliers that stretch a min/max range; quantize its per-tensor weight spec per channel.
 */
export const sqnrFixes: Fixer = (input) => {
  const sf = editableSource(input.file, input.doc.getText());
  const { activations, weights } = annotationSpecs(sf, input.offset);
  const histogram = activations.filter((name) => {
    const options = specOptions(sf, name);
    return options && !/^HistogramObserver\b/.test(optionValue(options, "observer")?.getText() ?? "");
  });
  const perChannel = weights.filter((name) => {
    const options = specOptions(sf, name);
    const qscheme = options && literalOf(optionValue(options, "qscheme"));
    return options && (qscheme === undefined || (typeof qscheme === "string" && qscheme.startsWith("per_tensor")));
  });
  const fixes: Fix[] = [];
  for (const name of histogram) {
    fixes.push(...fix(input, `Observe ${name} with HistogramObserver`, (edit) => {
      setOption(specOptions(edit, name)!, "observer", "HistogramObserver");
      ensureImport(edit, "HistogramObserver");
    }));
  }
  for (const name of perChannel) {
    fixes.push(...fix(input, `Quantize ${name} per channel (axis 0, PerChannelMinMaxObserver)`, (edit) => {
      let options = specOptions(edit, name)!;
      options = setOption(options, "qscheme", '"per_channel_symmetric"');
      options = setOption(options, "chAxis", "0");
      options = setOption(options, "observer", "PerChannelMinMaxObserver");
      ensureImport(edit, "PerChannelMinMaxObserver");
    }));
  }
  return fixes;
};
