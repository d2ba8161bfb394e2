// The README's agent loops are the examples under test/examples: the same code, type-checked
// against the real SDK types (model-apis.test.ts drives them against scripted models).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const EXAMPLES = fileURLToPath(new URL("./examples/", import.meta.url));
const README = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8");

/** The lines between `// #region readme` and `// #endregion readme`, without their common indent. */
function readmeRegion(source: string): string {
  const lines = source.split("\n");
  const region = lines.slice(
    lines.findIndex((line) => line.trim() === "// #region readme") + 1,
    lines.findIndex((line) => line.trim() === "// #endregion readme"),
  );
  const indent = Math.min(...region.filter((line) => line.trim() !== "").map((line) => line.search(/\S/)));
  return region.map((line) => line.slice(indent)).join("\n");
}

const examples = readdirSync(EXAMPLES).filter((name) => name.endsWith(".ts"));

it.each(examples)("the README shows the agent loop of %s", (name) => {
  expect(README).toContain(readmeRegion(readFileSync(EXAMPLES + name, "utf8")));
});

it("the examples type-check against the real SDK types", () => {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  // Throws with tsc's diagnostics when a type does not fit.
  execFileSync(process.execPath, [tsc, "--noEmit", "-p", `${EXAMPLES}tsconfig.json`], { encoding: "utf8" });
});
