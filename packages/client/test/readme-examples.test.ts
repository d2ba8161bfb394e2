// The READMEs' agent loops are the examples under each package's test/examples: the same code,
// type-checked against the real SDK types (the packages' tests drive them against scripted models).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Each package's examples, and the READMEs that show them. */
const EXAMPLES = [
  { examples: "packages/client/test/examples/", readmes: ["README.md"] },
  { examples: "packages/ai-sdk/test/examples/", readmes: ["README.md", "packages/ai-sdk/README.md"] },
];

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

describe.each(EXAMPLES)("the examples of $examples", ({ examples, readmes }) => {
  const files = readdirSync(ROOT + examples).filter((name) => name.endsWith(".ts"));

  it.each(files.flatMap((file) => readmes.map((readme) => [file, readme])))("%s is shown in %s", (file, readme) => {
    const region = readmeRegion(readFileSync(`${ROOT}${examples}${file}`, "utf8"));
    expect(readFileSync(ROOT + readme, "utf8")).toContain(region);
  });

  it("type-check against the real SDK types", () => {
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    // Throws with tsc's diagnostics when a type does not fit.
    execFileSync(process.execPath, [tsc, "--noEmit", "-p", `${ROOT}${examples}tsconfig.json`], { encoding: "utf8" });
  });
});
