// The `codemode` CLI as a user runs it: the built bin, real files, the real daemon.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const TOOLS = fileURLToPath(new URL("./fixtures/tools.mjs", import.meta.url));
const DEMO = fileURLToPath(new URL("../../../examples/demo.js", import.meta.url));
const DEMO_TOOLS = fileURLToPath(new URL("../../../examples/demo-tools.mjs", import.meta.url));

const dir = mkdtempSync(join(tmpdir(), "codemode-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function cellFile(source: string): string {
  const path = join(dir, `cell-${++files}.js`);
  writeFileSync(path, source);
  return path;
}

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
}

function start(args: string[], stdin?: string): Run {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  child.stdin?.end(stdin);
  const run: Run = {
    child,
    stdout: "",
    stderr: "",
    exit: new Promise((resolve) => child.on("exit", (code) => resolve(code))),
  };
  child.stdout?.on("data", (chunk: Buffer) => {
    run.stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    run.stderr += chunk.toString();
  });
  return run;
}

async function codemode(...args: string[]) {
  return codemodeReading(undefined, ...args);
}

/** codemode with `stdin` as its standard input. */
async function codemodeReading(stdin: string | undefined, ...args: string[]) {
  const run = start(args, stdin);
  const code = await run.exit;
  return { code, stdout: run.stdout, stderr: run.stderr };
}

describe("codemode run", () => {
  it("runs the demo: a cell calling two host tools, printed as the model reads it", async () => {
    const { code, stdout, stderr } = await codemode("run", DEMO, "--tools", DEMO_TOOLS);
    expect(stdout).toMatch(/^Script completed\nWall time \d+\.\d seconds\nOutput:\n/);
    expect(stdout).toMatch(/package\.json: \d+ lines, \d+ bytes, sha256 [0-9a-f]{16}\n/);
    expect(stdout).toMatch(/total bytes: \d+\n$/);
    expect(stderr).toBe("notify: hashed 4 files\n");
    expect(code).toBe(0);
  });

  it("reads the cell from standard input when the file is -", async () => {
    const { code, stdout } = await codemodeReading("text(await tools.echo({ n: 2 }));", "run", "-", "--tools", TOOLS);
    expect(stdout).toMatch(/^Script completed\n[\s\S]*Output:\n\{"n":2\}\n$/);
    expect(code).toBe(0);
  });

  it("logs what a host tool throws, with its stack, while the cell sees the message", async () => {
    const file = cellFile(`try { await tools.fail(); } catch (e) { text("cell saw: " + e); }`);
    const { code, stdout, stderr } = await codemode("run", file, "--tools", TOOLS);
    expect(stdout).toContain("cell saw: the host says no");
    expect(stderr).toMatch(/^codemode: tool fail threw Error: the host says no\n\s+at .*tools\.mjs:\d+:\d+/);
    expect(code).toBe(0);
  });

  it("exits 1 when the cell fails, with the script error rendered", async () => {
    const file = cellFile(
      `text(await tools.echo({ n: 1 }));\ntry { await tools.fail(); } catch (e) { text(e); }\nthrow new Error("boom");`,
    );
    const { code, stdout } = await codemode("run", file, "--tools", TOOLS);
    expect(stdout).toMatch(/^Script failed\n/);
    expect(stdout).toContain('Output:\n{"n":1}\nthe host says no\nScript error:\nError: boom');
    expect(code).toBe(1);
  });

  it("--follow keeps waiting on a cell that yielded until it completes", async () => {
    const file = cellFile(
      `text("first"); yield_control(); await new Promise((r) => setTimeout(r, 100)); text("second");`,
    );
    const { code, stdout } = await codemode("run", file, "--follow");
    const observations = stdout.split(/(?=^Script )/m);
    expect(observations.map((o) => o.split("\n")[0])).toEqual(["Script running with cell ID 1", "Script completed"]);
    expect(observations[0]).toMatch(/Output:\nfirst\n$/);
    expect(observations[1]).toMatch(/Output:\nsecond\n$/);
    expect(code).toBe(0);
  });

  it("without --follow a cell still running after its first observation is terminated", async () => {
    const file = cellFile(`text("first"); yield_control(); while (true) {}`);
    const { code, stdout, stderr } = await codemode("run", file, "--yield-ms", "50");
    expect(stdout.split(/(?=^Script )/m).map((o) => o.split("\n")[0])).toEqual([
      "Script running with cell ID 1",
      "Script terminated",
    ]);
    expect(stderr).toContain("cell 1 is still running; terminating it");
    expect(stdout, "no empty Output: heading").toMatch(/Script terminated\nWall time \d+\.\d seconds\n$/);
    expect(code).toBe(1);
  });

  it("a pragma in the file is honoured, and a bad one is reported like exec reports it", async () => {
    const truncated = await codemode("run", cellFile(`// @exec: {"max_output_tokens": 5}\ntext("x".repeat(400));`));
    expect(truncated.stdout).toContain("Warning: truncated output (original token count: 100)");
    const bad = await codemode("run", cellFile(`// @exec: {"timeout": 5}\ntext(1);`));
    expect(bad.stdout).toBe("exec pragma only supports `yield_time_ms` and `max_output_tokens`; got `timeout`\n");
    expect(bad.code).toBe(1);
  });

  it("Ctrl-C terminates the cell cleanly and exits 130", async () => {
    const run = start(["run", cellFile(`text("spinning"); yield_control(); while (true) {}`), "--follow"]);
    await new Promise<void>((resolve) => {
      run.child.stdout?.on("data", () => {
        if (run.stdout.includes("spinning\n")) resolve();
      });
    });
    run.child.kill("SIGINT");
    expect(await run.exit).toBe(130);
    expect(run.stdout).toMatch(/^Script running with cell ID 1\n[\s\S]*^Script terminated\n/m);
  });
});

describe("codemode and host tools that ignore their signal", () => {
  it("a terminated cell's command exits at once, even with a tool still running", async () => {
    const started = Date.now();
    const { code, stdout } = await codemode(
      "run",
      cellFile(`text("asking"); await tools.stubborn();`),
      "--tools",
      TOOLS,
      "--yield-ms",
      "200",
    );
    expect(code).toBe(1);
    expect(stdout).toMatch(/^Script terminated\n/m);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe("codemode usage", () => {
  it("prints help and version, and refuses bad usage with exit 2", async () => {
    const help = await codemode("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: codemode run <file.js | ->");
    expect(help.stdout).toContain("handler(input, signal)");
    expect(help.stdout).toContain("value of its last expression is not printed");
    expect((await codemode("-h")).stdout).toBe(help.stdout);
    expect((await codemode("--version")).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect((await codemode("-v")).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    for (const args of [
      [],
      ["walk", "x.js"],
      ["run"],
      ["run", "a.js", "b.js"],
      ["run", "a.js", "--yield-ms", "soon"],
      ["run", "a.js", "--nope"],
    ]) {
      const { code, stderr } = await codemode(...args);
      expect(code, args.join(" ")).toBe(2);
      // One line saying what is wrong, and where the usage is.
      expect(stderr, args.join(" ")).toMatch(/^codemode: .+\nRun codemode --help for the usage\.\n$/);
    }
  });

  it("a missing file or a bad tools module is a usage error", async () => {
    const missing = await codemode("run", join(dir, "nope.js"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^codemode: cannot read .*nope\.js/);
    const badTools = cellFile(`export default { name: "x" };`).replace(/\.js$/, ".mjs");
    writeFileSync(badTools, `export default { name: "x" };`);
    const bad = await codemode("run", DEMO, "--tools", badTools);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^codemode: cannot load tools from .* must export an array of tools/);
  });

  it("names a tools module that is missing, or the line and column of its syntax error", async () => {
    const missing = await codemode("run", DEMO, "--tools", join(dir, "nope.mjs"));
    expect(missing.stderr).toBe(
      `codemode: cannot load tools from ${join(dir, "nope.mjs")}: no such file\nRun codemode --help for the usage.\n`,
    );
    const broken = join(dir, "broken.mjs");
    writeFileSync(broken, `export default [\n  { name: "x", handler: () => 1 + },\n];\n`);
    const bad = await codemode("run", DEMO, "--tools", broken);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`: Unexpected token '}' at ${broken}:2:35\n  { name: "x", handler: () => 1 + },\n`);
  });
});
