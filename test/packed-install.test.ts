// The packages as someone outside this repository gets them: packed with pnpm, installed with npm
// into an empty project, used from that project's node_modules.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeBlocks } from "./markdown.js";
import { type Manifest, PNPM, publishablePackages, ROOT, ROOT_MANIFEST, readManifest, run } from "./workspace.js";

const SETUP_MS = 600_000;
const dir = mkdtempSync(join(tmpdir(), "codemode-packed-"));
const tarballs = join(dir, "tarballs");
const project = join(dir, "project");
let packages: { name: string; dir: string; unpacked: string }[] = [];

beforeAll(async () => {
  mkdirSync(tarballs);
  packages = (await publishablePackages()).map((pkg) => ({ ...pkg, unpacked: join(dir, "unpacked", pkg.name) }));
  // pnpm pack prints the tarball's path last.
  const files = await Promise.all(
    packages.map(async (pkg) => {
      const { stdout } = await run([...PNPM, "pack", "--pack-destination", tarballs], { cwd: pkg.dir });
      const tarball = stdout.trim().split("\n").at(-1) ?? "";
      mkdirSync(pkg.unpacked, { recursive: true });
      await run(["tar", "xzf", tarball, "-C", pkg.unpacked, "--strip-components", "1"], { cwd: dir });
      return tarball;
    }),
  );
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "adopter", version: "1.0.0", private: true }));
  await run(["npm", "install", "--prefer-offline", "--no-audit", "--no-fund", ...files], {
    cwd: project,
    timeoutMs: SETUP_MS,
  });
}, SETUP_MS);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("every publishable package's tarball", () => {
  const each = (check: (pkg: { name: string; dir: string; unpacked: string }, manifest: Manifest) => void) => () => {
    expect(packages.length).toBeGreaterThan(0);
    for (const pkg of packages) check(pkg, readManifest(pkg.unpacked));
  };

  it(
    "states the workspace's licence, repository and Node versions, and carries the licence and a README",
    each((pkg, manifest) => {
      expect(manifest.license, pkg.name).toBe(ROOT_MANIFEST.license);
      expect(manifest.repository, pkg.name).toEqual({
        ...ROOT_MANIFEST.repository,
        directory: relative(ROOT, pkg.dir),
      });
      expect(manifest.engines, pkg.name).toEqual(ROOT_MANIFEST.engines);
      for (const file of ["LICENSE", "README.md"])
        expect(existsSync(join(pkg.unpacked, file)), `${pkg.name} ${file}`).toBe(true);
    }),
  );

  it(
    "depends on the other packages by version, with no workspace: left",
    each((pkg, manifest) => {
      expect(JSON.stringify(manifest), pkg.name).not.toContain("workspace:");
      for (const dep of packages) {
        if (manifest.dependencies?.[dep.name] !== undefined)
          expect(manifest.dependencies[dep.name], `${pkg.name} → ${dep.name}`).toBe(readManifest(dep.dir).version);
      }
    }),
  );

  it(
    "ships every file its bins and exports name, each module export with its types",
    each((pkg, manifest) => {
      const targets = [...Object.values(manifest.bin ?? {})];
      for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
        if (typeof target === "string") targets.push(target);
        else {
          expect(target.types, `${pkg.name} ${subpath} types`).toBeDefined();
          targets.push(...Object.values(target));
        }
      }
      for (const target of targets) expect(existsSync(join(pkg.unpacked, target)), `${pkg.name} ${target}`).toBe(true);
    }),
  );
});

describe("a project that installed the tarballs with npm", () => {
  it("sees each entry point export the names pinned here, so that a change to them is deliberate", () => {
    const entries = packages.flatMap((pkg) =>
      Object.entries(readManifest(pkg.unpacked).exports ?? {}).flatMap(([subpath, target]) =>
        typeof target === "object" && target.types !== undefined
          ? [{ specifier: join(pkg.name, subpath), types: join(project, "node_modules", pkg.name, target.types) }]
          : [],
      ),
    );
    const program = ts.createProgram(
      entries.map((entry) => entry.types),
      { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true },
    );
    const checker = program.getTypeChecker();
    const exported = Object.fromEntries(
      entries.map(({ specifier, types }) => {
        const file = program.getSourceFile(types);
        const module = file && checker.getSymbolAtLocation(file);
        const names = module ? checker.getExportsOfModule(module).map((symbol) => symbol.name) : [];
        return [specifier, names.sort()];
      }),
    );
    expect(exported).toMatchSnapshot();
  });

  // A cell with a tool call through the client, the same code in either module system.
  const cell = (importClient: string) => `${importClient}
async function main() {
  const client = await CodeModeClient.start();
  try {
    const session = await client.openSession({
      delegate: { invokeTool: async (call) => call.input.a + call.input.b, notify: async () => {} },
    });
    const cell = await session.execute({
      toolCallId: "call_1",
      source: "text(await tools.add({ a: 2, b: 3 }))",
      enabledTools: [{ name: "add" }],
    });
    console.log(JSON.stringify(await cell.initialResponse));
  } finally {
    await client.close();
  }
}
main();
`;
  const completed = { status: "completed", cellId: "1", items: [{ type: "text", text: "5" }] };

  it("runs a cell with a tool call from an ES module", async () => {
    writeFileSync(join(project, "agent.mjs"), cell('import { CodeModeClient } from "@codemode/client";'));
    const { stdout } = await run(["node", "agent.mjs"], { cwd: project });
    expect(JSON.parse(stdout)).toEqual(completed);
  });

  it("runs a cell with a tool call from CommonJS, by require()", async () => {
    writeFileSync(join(project, "agent.cjs"), cell('const { CodeModeClient } = require("@codemode/client");'));
    const { stdout } = await run(["node", "agent.cjs"], { cwd: project });
    expect(JSON.parse(stdout)).toEqual(completed);
  });

  it("runs the CLI's README as written: npx codemode run, with its tools module and cell", async () => {
    const readme = "packages/cli/README.md";
    // Its JavaScript blocks start with the name of their file.
    for (const { code } of codeBlocks(readme, ["js"])) {
      const file = /^\/\/ (\S+)\n/.exec(code)?.[1];
      if (file !== undefined) writeFileSync(join(project, file), code);
    }
    const commands = codeBlocks(readme, ["sh"]).flatMap(({ code }) => code.split("\n"));
    const command = commands.find((line) => line.startsWith("npx codemode run")) ?? "";
    const { stdout } = await run(["sh", "-ec", command], { cwd: project });
    expect(stdout).toContain("Script completed");
    expect(stdout).toMatch(/^5$/m);
  });

  it("has the daemon's bin in node_modules/.bin", async () => {
    const { stdout } = await run(["node_modules/.bin/codemode-daemon", "--version"], { cwd: project });
    expect(stdout.trim()).toBe(readManifest(join(project, "node_modules/@codemode/daemon")).version);
  });
});
