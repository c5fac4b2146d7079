import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { DEFAULT_SETTINGS } from "../src/protocol.js";

// VS Code sends every setting with the manifest's default, so a manifest default that differs from the server's
// silently overrides it (the debounce ran at 150 ms in VS Code while the server's default was 75).
test("the extension manifest's setting defaults are the server's", () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "..", "package.json"), "utf8"));
  const properties: Record<string, { default?: unknown }> = manifest.contributes.configuration.properties;
  for (const [key, value] of Object.entries(DEFAULT_SETTINGS)) {
    assert.ok(`qkit.${key}` in properties, `package.json does not contribute qkit.${key}`);
    assert.equal(properties[`qkit.${key}`]!.default, value, `qkit.${key}: the manifest's default differs from the server's`);
  }
});
