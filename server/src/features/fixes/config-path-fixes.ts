import { messageOf, type Fixer } from "./fix.js";

/** The names a message's "did you mean "a" or "b"?" offers. */
function offered(message: string): string[] {
  const tail = /did you mean (.+)\?$/.exec(message)?.[1];
  return tail ? [...tail.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string) : [];
}

/** quantizer-not-found, model-load-failed in qkit.json: replace the path with each file (or built-in) it likely meant. */
export const configPathFixes: Fixer = (input) =>
  offered(messageOf(input.diagnostic)).map((name, i) => ({
    title: `Change to "${name}"`,
    edit: { range: input.diagnostic.range, newText: JSON.stringify(name) },
    ...(i === 0 ? { preferred: true } : {}),
  }));
