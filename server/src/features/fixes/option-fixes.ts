import { fix, messageOf, type Fixer } from "./fix.js";
import { constructorAt, optionsObject } from "./syntax.js";

const OWNERS = new Set(["QuantizationSpec", "FixedQParamsQuantizationSpec", "DerivedQuantizationSpec", "QuantizationAnnotation"]);

/** The option and the one meant, from the checker's words: "… has no option `quant_min` … did you mean `quantMin`?". */
export function unknownOption(message: string): { option: string; meant: string | undefined } | undefined {
  const match = /has no option `([^`]+)`(?:.*did you mean `([^`]+)`\?)?/.exec(message);
  return match ? { option: match[1]!, meant: match[2] } : undefined;
}

/** unknown-option: rename the key to the option meant (`quant_min` → `quantMin`), or drop it when that is already set. */
export const optionFixes: Fixer = (input) => {
  const named = unknownOption(messageOf(input.diagnostic));
  if (!named?.meant) return [];
  const { option, meant } = named;
  const optionsAt = (sf: Parameters<typeof constructorAt>[0]) => {
    const call = constructorAt(sf, input.offset, OWNERS);
    return call && optionsObject(call);
  };
  return [
    ...fix(input, `Rename ${option} to ${meant}`, (sf) => {
      const options = optionsAt(sf);
      const property = options?.getProperty(option);
      if (!options || !property || options.getProperty(meant)) return false;
      const value = property.getText().includes(":") ? property.getText().slice(property.getText().indexOf(":") + 1).trim() : option;
      property.replaceWithText(`${meant}: ${value}`);
    }, true),
    ...fix(input, `Remove ${option} (${meant} is already set)`, (sf) => {
      const options = optionsAt(sf);
      const property = options?.getProperty(option);
      if (!options || !property || !options.getProperty(meant)) return false;
      property.remove();
    }, true),
  ];
};
