/**
 * What `import ... from "qkit"` gives user code (quantizers, data modules). The package entry (`index.ts`) provides
 * itself here when it loads, so the user-module loader receives the author API by injection and never imports the
 * barrel it is part of.
 */
let provided: object | undefined;

export function provideAuthorApi(api: object): void {
  provided = api;
}

export function authorApi(): object {
  if (!provided) throw new Error("internal: the qkit package entry was not loaded before a user module");
  return provided;
}
