import { describe, expect, it } from "vitest";
import { parseCommand } from "./args.js";

describe("parseCommand", () => {
  it("reads run with its options", () => {
    expect(parseCommand(["run", "a.js"])).toEqual({ kind: "run", file: "a.js", follow: false });
    expect(parseCommand(["run", "a.js", "--tools", "t.mjs", "--yield-ms", "0", "--follow"])).toEqual({
      kind: "run",
      file: "a.js",
      toolsModule: "t.mjs",
      yieldTimeMs: 0,
      follow: true,
    });
    expect(parseCommand(["--follow", "run", "--yield-ms=250", "a.js"])).toMatchObject({
      yieldTimeMs: 250,
      follow: true,
    });
  });

  it("reads mcp with its options", () => {
    expect(parseCommand(["mcp"])).toEqual({ kind: "mcp" });
    expect(parseCommand(["mcp", "--config", "mcp.json", "--tools", "t.mjs"])).toEqual({
      kind: "mcp",
      config: "mcp.json",
      toolsModule: "t.mjs",
    });
    expect(parseCommand(["mcp", "--http", "127.0.0.1:0"])).toEqual({
      kind: "mcp",
      http: { host: "127.0.0.1", port: 0 },
    });
    expect(parseCommand(["mcp", "--http", "[::1]:8080"])).toEqual({ kind: "mcp", http: { host: "::1", port: 8080 } });
  });

  it("reads --approve: ask, all or none for run; all or none for mcp", () => {
    expect(parseCommand(["run", "a.js", "--approve", "all"])).toMatchObject({ approve: "all" });
    expect(parseCommand(["run", "a.js", "--approve=ask"])).toMatchObject({ approve: "ask" });
    expect(parseCommand(["mcp", "--approve", "none"])).toEqual({ kind: "mcp", approve: "none" });
    expect(() => parseCommand(["run", "a.js", "--approve", "some"])).toThrow("--approve must be one of ask, all, none");
    expect(() => parseCommand(["mcp", "--approve", "ask"])).toThrow("--approve ask is an option of codemode run");
  });

  it("help and version win over everything else", () => {
    expect(parseCommand(["run", "a.js", "--help"])).toEqual({ kind: "help" });
    expect(parseCommand(["--version"])).toEqual({ kind: "version" });
    expect(parseCommand(["-h"])).toEqual({ kind: "help" });
    expect(parseCommand(["-v"])).toEqual({ kind: "version" });
  });

  it("reads the file - (standard input)", () => {
    expect(parseCommand(["run", "-"])).toEqual({ kind: "run", file: "-", follow: false });
  });

  it.each([
    [[], "missing command: codemode run <file.js | -> or codemode mcp"],
    [["mcp", "x"], "unexpected argument x"],
    [["mcp", "--follow"], "--follow is an option of codemode run"],
    [["mcp", "--yield-ms", "5"], "--yield-ms is an option of codemode run"],
    [["run", "a.js", "--config", "c.json"], "--config is an option of codemode mcp"],
    [["run", "a.js", "--http", "localhost:1"], "--http is an option of codemode mcp"],
    [["mcp", "--http", "8080"], "--http must be <host>:<port>"],
    [["mcp", "--http", "localhost:70000"], "--http must be <host>:<port>"],
    [["mcp", "--http", "::1:80"], "--http must be <host>:<port>"],
    [["go", "a.js"], "unknown command go"],
    [["run"], "missing the file to run"],
    [["run", "a.js", "b.js"], "unexpected argument b.js"],
    [["run", "a.js", "--yield-ms=-1"], "--yield-ms must be a non-negative integer"],
    [["run", "a.js", "--yield-ms", "1.5"], "--yield-ms must be a non-negative integer"],
    [["run", "a.js", "--yield-ms", " "], "--yield-ms must be a non-negative integer"],
  ])("refuses %j", (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(message);
  });

  it("refuses unknown flags", () => {
    expect(() => parseCommand(["run", "a.js", "--watch"])).toThrow(/^Unknown option '--watch'$/);
  });
});
