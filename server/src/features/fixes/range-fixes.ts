import { dtypeLimits, QUANT_DTYPES } from "qkit/tooling";
import type { SourceFile } from "ts-morph";
import { fix, type Fix, type Fixer } from "./fix.js";
import { editableSource } from "./source-edit.js";
import { literalOf, optionsObject, optionValue, setOption, specAt } from "./syntax.js";

function optionsAt(sf: SourceFile, offset: number) {
  const call = specAt(sf, offset);
  return call && optionsObject(call);
}

/**
 * quant-range-outside-dtype, quant-range-inverted, quant-range-excludes-zero: set the range to the dtype's bounds,
 * or swap the bounds when they are the wrong way round (preferred when the swapped range holds zero: it keeps the
 * numbers the user chose).
 */
export const rangeFixes: Fixer = (input) => {
  const options = optionsAt(editableSource(input.file, input.doc.getText()), input.offset);
  if (!options) return [];
  // Read before editing: each edit replaces the copy these nodes belong to.
  const dtype = literalOf(optionValue(options, "dtype"));
  const hasBounds = !!optionValue(options, "quantMin") && !!optionValue(options, "quantMax");
  const [low, high] = [literalOf(optionValue(options, "quantMax")), literalOf(optionValue(options, "quantMin"))];
  // Swapped bounds are what was meant unless they leave out zero, which an affine range must hold.
  const swapHoldsZero = typeof low === "number" && typeof high === "number" && low <= 0 && 0 <= high;
  const fixes: Fix[] = [];
  const inverted = input.diagnostic.code === "quant-range-inverted";
  if (inverted && hasBounds) {
    fixes.push(
      ...fix(input, "Swap quantMin and quantMax", (sf) => {
        let object = optionsAt(sf, input.offset)!;
        const low = optionValue(object, "quantMin")!.getText();
        const high = optionValue(object, "quantMax")!.getText();
        object = setOption(object, "quantMin", high);
        object = setOption(object, "quantMax", low);
      }, swapHoldsZero),
    );
  }
  if (typeof dtype === "string" && (QUANT_DTYPES as readonly string[]).includes(dtype)) {
    const { min, max } = dtypeLimits(dtype as (typeof QUANT_DTYPES)[number]);
    fixes.push(
      ...fix(input, `Use ${dtype}'s full range: quantMin ${min}, quantMax ${max}`, (sf) => {
        let object = optionsAt(sf, input.offset)!;
        object = setOption(object, "quantMin", String(min));
        object = setOption(object, "quantMax", String(max));
      }, !inverted || !swapHoldsZero),
    );
  }
  return fixes;
};
