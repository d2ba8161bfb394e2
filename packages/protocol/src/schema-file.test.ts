// The committed JSON Schema of the protocol is the one the schemas generate.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

describe("protocol.schema.json", () => {
  it("is up to date with the zod schemas and lists every method", () => {
    const file = new URL("../protocol.schema.json", import.meta.url);
    const before = readFileSync(file, "utf8");
    execFileSync(process.execPath, [new URL("../scripts/emit-json-schema.mjs", import.meta.url).pathname]);
    expect(readFileSync(file, "utf8")).toBe(before);
    const methods = Object.keys(JSON.parse(before).methods);
    expect(methods).toEqual(
      expect.arrayContaining([
        "initialize",
        "cell/execute",
        "cell/wait",
        "cell/terminate",
        "tool/invoke",
        "cell/notify",
        "daemon/stats",
      ]),
    );
  });
});
