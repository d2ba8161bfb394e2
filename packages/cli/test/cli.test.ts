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

/** Starts the CLI; `stdin` is its whole input, or `null` for a pipe left open (none: no input). */
function start(args: string[], stdin?: string | null): Run {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (typeof stdin === "string") child.stdin?.end(stdin);
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
  return answering(undefined, ...args);
}

/** Runs the CLI with `stdin` as its input (none: no input at all). */
async function answering(stdin: string | undefined, ...args: string[]) {
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
    const { code, stdout } = await answering("text(await tools.echo({ n: 2 }));", "run", "-", "--tools", TOOLS);
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

  it("input breaking a tool's inputSchema rejects with what is wrong; a result breaking its outputSchema too", async () => {
    const tools = join(dir, "typed-tools.mjs");
    writeFileSync(
      tools,
      `const number = { type: "number" };
      export default [
        { name: "multiply", inputSchema: { type: "object", properties: { a: number, b: number }, required: ["a", "b"] },
          outputSchema: number, handler: ({ a, b }) => a * b },
        { name: "liar", outputSchema: number, handler: () => "7" },
      ];`,
    );
    const file = cellFile(
      `for (const call of [() => tools.multiply({ a: "x", b: 2 }), () => tools.multiply({ a: 6, b: 7 }), () => tools.liar()]) {
        try { text(await call()); } catch (error) { text(error); }
      }`,
    );
    const { code, stdout } = await codemode("run", file, "--tools", tools);
    expect(stdout).toContain(
      "Output:\ntools.multiply: input.a must be number\n42\ntools.liar: output must be number (the result breaks its outputSchema)\n",
    );
    expect(code).toBe(0);
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
    expect(stderr).toContain("cell 1 was still running; terminated it");
    expect(stdout, "no empty Output: heading").toMatch(/Script terminated\nWall time \d+\.\d seconds\n$/);
    expect(code).toBe(1);
  });

  it("--yield-ms 0 (or a pragma's 0) without --follow is a usage error: the cell would always be terminated", async () => {
    for (const args of [
      [cellFile(`text("hi");`), "--yield-ms", "0"],
      [cellFile(`// @exec: {"yield_time_ms": 0}\ntext("hi");`)],
    ]) {
      const { code, stdout, stderr } = await codemode("run", ...args);
      expect(stdout).toBe("");
      expect(stderr).toContain("a yield time of 0 ms observes the cell before it runs: use it with --follow");
      expect(code).toBe(2);
    }
  });

  it("--yield-ms 0 --follow waits at least a second between observations instead of polling", async () => {
    const file = cellFile(`text("start"); await new Promise((r) => setTimeout(r, 1500)); text("end");`);
    const { code, stdout } = await codemode("run", file, "--yield-ms", "0", "--follow");
    const observations = stdout.split(/(?=^Script )/m);
    expect(observations.length).toBeLessThanOrEqual(3);
    expect(observations.at(-1)).toMatch(/^Script completed\n[\s\S]*Output:\n(start\n)?end\n$/);
    expect(code).toBe(0);
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

describe("codemode run --approve", () => {
  const tools = join(dir, "guarded-tools.mjs");
  writeFileSync(
    tools,
    `export default [{ name: "delete_file", needsApproval: true, handler: ({ path }) => \`deleted \${path}\` }];`,
  );
  const cell = () =>
    cellFile(
      `// @exec: {"yield_time_ms": 300}
      for (const path of ["a", "b"]) {
        try { text(await tools.delete_file({ path })); } catch (error) { text(error); }
      }`,
    );
  const output = (stdout: string) => stdout.split("Output:\n").at(-1);

  it("ask puts a y/N question on the terminal for each call, in order, and waits for the answers", async () => {
    const { code, stdout, stderr } = await answering("y\nno\n", "run", cell(), "--tools", tools);
    expect(stderr).toBe(
      'approve tools.delete_file (tool-1) with {"path":"a"}? [y/N] approve tools.delete_file (tool-2) with {"path":"b"}? [y/N] ',
    );
    expect(output(stdout)).toBe("deleted a\ntools.delete_file was denied: denied on the terminal\n");
    expect(code).toBe(0);
  });

  it("ask with the input ended denies; all approves and none denies every call without asking", async () => {
    const closed = await answering("", "run", cell(), "--tools", tools);
    expect(output(closed.stdout)).toBe(
      "tools.delete_file was denied: denied on the terminal\ntools.delete_file was denied: denied on the terminal\n",
    );
    const all = await codemode("run", cell(), "--tools", tools, "--approve", "all");
    expect(output(all.stdout)).toBe("deleted a\ndeleted b\n");
    expect(all.stderr).toBe("");
    const none = await codemode("run", cell(), "--tools", tools, "--approve", "none");
    expect(output(none.stdout)).toBe(
      "tools.delete_file was denied: denied by --approve none\ntools.delete_file was denied: denied by --approve none\n",
    );
  });

  it("an observation while a question is open names the call waiting for approval, and the cell is waited on", async () => {
    const run = start(["run", cell(), "--tools", tools], null);
    await new Promise<void>((resolve) => {
      run.child.stdout?.on("data", () => {
        if (run.stdout.includes("Waiting for approval")) resolve();
      });
    });
    expect(run.stdout).toMatch(
      /^Script running with cell ID 1\nWaiting for approval: tools\.delete_file \(tool-1\)\nWall time/,
    );
    run.child.stdin?.end("y\ny\n");
    expect(await run.exit).toBe(0);
    expect(run.stdout).toMatch(/Script completed\nWall time \d+\.\d seconds\nOutput:\ndeleted a\ndeleted b\n$/);
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
    expect(help.stdout).toContain("handler(input, { signal, cellId, callId })");
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
    const malformed = cellFile("").replace(/\.js$/, ".mjs");
    writeFileSync(malformed, `export default [{ name: "x", handler() {}, inputSchema: { type: "numbr" } }];`);
    const refused = await codemode("run", DEMO, "--tools", malformed);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /^codemode: cannot load tools from .*: tool x: inputSchema is not a valid JSON Schema: /,
    );
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
