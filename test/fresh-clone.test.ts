// The repository as a newcomer gets it: a copy of the working tree with nothing installed or
// built, where the install is quiet, lint passes at once, and the docs' shell blocks run.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeBlocks, DOCUMENTS } from "./markdown.js";
import { PNPM, ROOT, run } from "./workspace.js";

const STEP_MS = 600_000;
const dir = mkdtempSync(join(tmpdir(), "codemode-clone-"));
const clone = join(dir, "codemode");

/** Shell blocks that do not run in the clone, and why. */
const NOT_RUN_HERE = [
  { pattern: /pnpm@\S+ test\b/, why: "runs this very suite" },
  {
    pattern: /npm install @codemode\//,
    why: "installs from the registry; packed-install.test.ts installs the same from tarballs",
  },
  { pattern: /^(docker|kubectl) /m, why: "needs a Docker engine or a Kubernetes cluster" },
];

const blocks = DOCUMENTS.flatMap((document) => codeBlocks(document, ["sh", "bash", "shell"])).map((block) => ({
  ...block,
  skip: NOT_RUN_HERE.find(({ pattern }) => pattern.test(block.code))?.why,
}));

let install = "";

beforeAll(async () => {
  // What git would check out: tracked and untracked files, less the ignored ones.
  const { stdout } = await run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT });
  const list = join(dir, "files");
  writeFileSync(
    list,
    stdout
      .split("\n")
      .filter((file) => file !== "" && existsSync(join(ROOT, file)))
      .join("\n"),
  );
  await run(["sh", "-c", `tar -cf - -T "${list}" | (mkdir "${clone}" && tar -xf - -C "${clone}")`], { cwd: ROOT });
  const output = await run([...PNPM, "install", "--frozen-lockfile"], { cwd: clone, timeoutMs: STEP_MS });
  install = output.stdout + output.stderr;
}, STEP_MS);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a fresh clone", () => {
  it("installs without a warning", () => {
    expect(install).not.toMatch(/WARN/);
  });

  it("passes pnpm lint right after install", { timeout: STEP_MS }, async () => {
    expect(existsSync(join(clone, "packages/client/dist"))).toBe(false);
    await run([...PNPM, "lint"], { cwd: clone, timeoutMs: STEP_MS });
  });

  describe.each(blocks)("$name", (block) => {
    it.skipIf(block.skip !== undefined)(
      `runs as written${block.skip ? ` (not here: ${block.skip})` : ""}`,
      { timeout: STEP_MS },
      async () => {
        await run(["sh", "-ec", block.code], { cwd: clone, timeoutMs: STEP_MS });
      },
    );
  });
});
