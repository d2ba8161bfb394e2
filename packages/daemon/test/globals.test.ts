// SPEC §4 over the real daemon: every global a cell sees, its accepted inputs and exact errors.
import type { CellOutcome } from "@codemode/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startDaemon, texts } from "./harness.js";

let daemon: Harness;
let session: string;
beforeAll(async () => {
  daemon = await startDaemon();
  session = await daemon.open();
});
afterAll(async () => {
  await daemon.close();
});

const run = (source: string, options?: Parameters<Harness["execute"]>[2]) => daemon.execute(session, source, options);
const failure = async (source: string) => (await run(source)).errorText;
const png = "data:image/png;base64,AAA";
/** Runs `expression` in a try/catch and reports what was thrown: its type and text. */
const thrown = async (expression: string) =>
  texts(await run(`try { ${expression}; text("no throw"); } catch (e) { text(typeof e + ": " + String(e)); }`))[0];

describe("tools", () => {
  it("names each tool with every char not valid in an ASCII JS identifier replaced by _", async () => {
    const tools = [
      { name: "mcp__server__read-file" },
      { name: "" },
      { name: "3d.render" },
      { name: "café" },
      { name: "__proto__" },
    ];
    const outcome = await run(`text(Object.keys(tools).join(","))`, { tools });
    expect(texts(outcome)).toEqual(["mcp__server__read_file,_,_d_render,caf_,__proto__"]);
  });

  it("a call reaches the host under the tool's own name (with its namespace) and kind", async () => {
    const tools = [
      { name: "mcp__files__read", toolName: { name: "read", namespace: "files" }, kind: "freeform" as const },
    ];
    daemon.tools.set("read", async (input) => input ?? null);
    try {
      expect(texts(await run(`text(await tools.mcp__files__read("raw text"))`, { tools }))).toEqual(["raw text"]);
    } finally {
      daemon.tools.delete("read");
    }
    const call = daemon.calls.filter((c) => c.params.tool.name === "read").at(-1);
    expect(call?.params).toMatchObject({
      tool: { name: "read", namespace: "files" },
      kind: "freeform",
      input: "raw text",
    });
  });

  it("ALL_TOOLS lists the JS names and descriptions in enabled-tool order", async () => {
    const tools = [
      { name: "b-tool", description: "second letter" },
      { name: "a", description: "first letter" },
    ];
    const outcome = await run(`text(ALL_TOOLS)`, { tools });
    expect(JSON.parse(texts(outcome)[0] ?? "")).toEqual([
      { name: "b_tool", description: "second letter" },
      { name: "a", description: "first letter" },
    ]);
  });

  it("passes a JSON copy of the argument and leaves input out when called with none", async () => {
    const outcome = await run(
      `const r = await Promise.all([tools.echo(), tools.echo({ d: new Date(0), u: undefined, n: NaN })]); text(r);`,
    );
    expect(texts(outcome)).toEqual(['[null,{"d":"1970-01-01T00:00:00.000Z","n":null}]']);
    const calls = daemon.calls.filter((c) => c.params.cellId === outcome.cellId && c.params.sessionId === session);
    expect(calls.map((c) => "input" in c.params)).toEqual([false, true]);
  });

  it("a throwing stringify throws synchronously", async () => {
    expect(await thrown(`tools.echo({ toJSON() { throw "no json"; } })`)).toBe("string: no json");
    expect(await thrown(`tools.echo(10n)`)).toMatch(/^object: TypeError/);
  });

  it("rejects with the host's error string", async () => {
    const outcome = await run(
      `try { await tools.fail({ message: "disk full" }); } catch (e) { text(typeof e + ": " + e); }`,
    );
    expect(texts(outcome)).toEqual(["string: disk full"]);
  });

  it("un-awaited calls still run", async () => {
    const outcome = await run(`tools.echo("fire and forget"); await tools.sleep({ ms: 50 }); text("ok");`);
    const calls = daemon.calls.filter((c) => c.params.cellId === outcome.cellId && c.params.sessionId === session);
    expect(calls.map((c) => c.params.input)).toEqual(["fire and forget", { ms: 50 }]);
  });

  it("tool calls are numbered tool-1, tool-2, … per cell", async () => {
    const outcome = await run(`await tools.echo(1); await tools.echo(2);`);
    const calls = daemon.calls.filter((c) => c.params.cellId === outcome.cellId && c.params.sessionId === session);
    expect(calls.map((c) => c.params.callId)).toEqual(["tool-1", "tool-2"]);
  });
});

describe("text", () => {
  it("renders primitives with String and other values with JSON.stringify, falling back to String", async () => {
    const outcome = await run(
      `[undefined, null, true, 42, -0, 10n, "s", { a: [1] }, [1, "x"], function f() {}, Symbol("q")].forEach((v) => text(v));`,
    );
    expect(texts(outcome)).toEqual([
      "undefined",
      "null",
      "true",
      "42",
      "0",
      "10",
      "s",
      '{"a":[1]}',
      '[1,"x"]',
      "function f() {}",
      "Symbol(q)",
    ]);
  });

  it("throws on cycles and returns undefined", async () => {
    expect(await thrown(`const o = {}; o.self = o; text(o)`)).toMatch(/^object: TypeError: circular reference/);
    expect(texts(await run(`text(String(text("x")))`))).toEqual(["x", "undefined"]);
  });
});

describe("image and generatedImage", () => {
  const images = (outcome: CellOutcome) => outcome.items;

  it("accepts a data URL, an image_url object and an MCP image block", async () => {
    const outcome = await run(`
      image(${JSON.stringify(png)});
      image({ image_url: ${JSON.stringify(png)}, detail: "low" });
      image({ type: "image", data: "QUJD", mimeType: "image/jpeg", _meta: { "codex/imageDetail": "original" } });
      image({ type: "image", data: "QUJD" });
    `);
    expect(images(outcome)).toEqual([
      { type: "image", imageUrl: png, detail: "high" },
      { type: "image", imageUrl: png, detail: "low" },
      { type: "image", imageUrl: "data:image/jpeg;base64,QUJD", detail: "original" },
      { type: "image", imageUrl: "data:application/octet-stream;base64,QUJD", detail: "high" },
    ]);
  });

  it("the second argument overrides an embedded detail", async () => {
    const outcome = await run(`
      image({ image_url: ${JSON.stringify(png)}, detail: "low" }, "auto");
      image({ type: "image", data: "QUJD", mimeType: "image/png", _meta: { "codex/imageDetail": "original" } }, "low");
    `);
    expect(outcome.items.map((item) => item.type === "image" && item.detail)).toEqual(["auto", "low"]);
  });

  it("refuses remote URLs, bad details and anything else with the exact errors", async () => {
    const expects =
      "string: image expects a non-empty image URL string, an object with image_url and optional detail, or a raw MCP image block";
    expect(await thrown(`image("https://example.com/a.png")`)).toBe(
      "string: Tool call failed: remote image URLs are not supported in tool outputs. Pass a base64 data URI instead",
    );
    expect(await thrown(`image(${JSON.stringify(png)}, "huge")`)).toBe(
      "string: image detail must be one of: auto, low, high, original",
    );
    for (const bad of [`""`, `42`, `null`, `[]`, `{}`, `{ type: "text", text: "x" }`, `"file:///etc/passwd"`]) {
      expect(await thrown(`image(${bad})`)).toBe(expects);
    }
  });

  it("generatedImage appends the image, then the hint", async () => {
    const outcome = await run(
      `generatedImage({ image_url: ${JSON.stringify(png)}, output_hint: "saved to out.png" }); generatedImage({ image_url: ${JSON.stringify(png)} });`,
    );
    expect(outcome.items).toEqual([
      { type: "image", imageUrl: png, detail: "high" },
      { type: "text", text: "saved to out.png" },
      { type: "image", imageUrl: png, detail: "high" },
    ]);
  });

  it("generatedImage refuses remote URLs and unknown details with image's texts", async () => {
    expect(await thrown(`generatedImage({ image_url: "https://example.com/a.png" })`)).toBe(
      "string: Tool call failed: remote image URLs are not supported in tool outputs. Pass a base64 data URI instead",
    );
    expect(await thrown(`generatedImage({ image_url: ${JSON.stringify(png)}, detail: "huge" })`)).toBe(
      "string: image detail must be one of: auto, low, high, original",
    );
  });
});

describe("return values", () => {
  it("every output helper returns undefined", async () => {
    const outcome = await run(`
      const results = [
        image(${JSON.stringify(png)}),
        generatedImage({ image_url: ${JSON.stringify(png)} }),
        store("k", 1),
        clearTimeout(setTimeout(() => {}, 1000)),
      ];
      text(results.map((r) => typeof r).join(","));`);
    expect(texts(outcome).at(-1)).toBe("undefined,undefined,undefined,undefined");
  });
});

describe("store, load and notify", () => {
  it("refuses values JSON cannot represent", async () => {
    expect(await thrown(`store("fn", () => 1)`)).toBe(
      'string: Unable to store "fn". Only plain serializable objects can be stored.',
    );
    expect(await thrown(`store("u", undefined)`)).toBe(
      'string: Unable to store "u". Only plain serializable objects can be stored.',
    );
    expect(texts(await run(`text(String(load("never stored")))`))).toEqual(["undefined"]);
  });

  it("notify sends the text with the cell's toolCallId and returns undefined", async () => {
    const outcome = await run(`text(String(notify({ phase: "working" })))`, { toolCallId: "exec-notify" });
    expect(texts(outcome)).toEqual(["undefined"]);
    expect(daemon.notifies.filter((n) => n.sessionId === session && n.cellId === outcome.cellId)).toEqual([
      { sessionId: session, cellId: outcome.cellId, callId: "exec-notify", text: '{"phase":"working"}' },
    ]);
  });

  it("notify refuses blank text", async () => {
    expect(await thrown(`notify("   ")`)).toBe("string: notify expects non-empty text");
  });
});

describe("exit", () => {
  it("synchronous exit ends the cell successfully at once", async () => {
    expect(await run(`text("a"); exit(); text("b");`)).toMatchObject({ status: "completed", items: [{ text: "a" }] });
    expect((await run(`text("a"); exit(); text("b");`)).errorText).toBeUndefined();
  });

  it("exit works after an await, inside a timer, and cannot be swallowed by a catch", async () => {
    expect(texts(await run(`text("a"); await tools.echo(1); exit(); text("b");`))).toEqual(["a"]);
    expect(
      texts(await run(`setTimeout(() => { text("t"); exit(); text("u"); }, 10); await new Promise(() => {});`)),
    ).toEqual(["t"]);
    const caught = await run(`try { exit(); } catch (e) {} text("after");`);
    expect(caught).toMatchObject({ status: "completed", items: [] });
    expect(caught.errorText).toBeUndefined();
  });

  it("stores after a caught exit are dropped, as output is; those before it are kept", async () => {
    const s = await daemon.open();
    await daemon.execute(
      s,
      `store("before", 1); try { exit(); } catch (e) {} for (let i = 0; i < 1e5; i++) store("after", i);`,
    );
    expect(await daemon.request("session/storedValues", { sessionId: s })).toEqual({ values: { before: 1 } });
  });
});

describe("timers", () => {
  it("a delay beyond what Node keeps (2^31 − 1 ms) does not fire at once", async () => {
    const outcome = await run(`
      setTimeout(() => text("early"), 3e9);
      await new Promise((resolve) => setTimeout(resolve, 100));
      text("end");`);
    expect(texts(outcome)).toEqual(["end"]);
  });

  it("ids count up per cell and clearTimeout cancels", async () => {
    const outcome = await run(`
      const a = setTimeout(() => text("a"), 10);
      const b = setTimeout(() => text("b"), 20);
      clearTimeout(a);
      clearTimeout();
      clearTimeout(999);
      text(a + "," + b);
      await new Promise((resolve) => setTimeout(resolve, 40));
    `);
    expect(texts(outcome)).toEqual(["1,2", "b"]);
  });

  it("non-finite or non-positive delays run at once and non-functions are refused", async () => {
    const outcome = await run(`
      const order = [];
      setTimeout(() => order.push("nan"), NaN);
      setTimeout(() => order.push("neg"), -5);
      setTimeout(() => order.push("inf"), Infinity);
      await new Promise((resolve) => setTimeout(resolve, 20));
      text(order.join(","));
    `);
    expect(texts(outcome)).toEqual(["nan,neg,inf"]);
    expect(await thrown(`setTimeout("text(1)", 10)`)).toBe("string: setTimeout expects a function callback");
  });

  it("a throwing callback fails the cell", async () => {
    const outcome = await run(
      `setTimeout(() => { throw new RangeError("in timer"); }, 5); await new Promise(() => {});`,
    );
    expect(outcome.status).toBe("completed");
    expect(outcome.errorText).toMatch(/^RangeError: in timer/);
  });

  it("there is no setInterval", async () => {
    expect(texts(await run(`text(typeof setInterval + "," + typeof clearInterval)`))).toEqual(["undefined,undefined"]);
  });
});

describe("the sandbox", () => {
  it("has no console, WebAssembly, Atomics, SharedArrayBuffer, require or process", async () => {
    const outcome = await run(
      `text(["console", "WebAssembly", "Atomics", "SharedArrayBuffer", "require", "process"].map((n) => typeof globalThis[n]).join(","))`,
    );
    expect(texts(outcome)).toEqual(["undefined,undefined,undefined,undefined,undefined,undefined"]);
  });

  it("refuses static and dynamic imports with the specifier as written", async () => {
    expect(await failure(`import fs from "node:fs";`)).toBe("Unsupported import in exec: node:fs");
    expect(await failure(`import { x } from "./local.js";`)).toBe("Unsupported import in exec: ./local.js");
    expect(await failure(`await import("https://example.com/m.js");`)).toBe(
      "Unsupported import in exec: https://example.com/m.js",
    );
  });

  it("runs as an ES module with top-level await", async () => {
    expect(texts(await run(`const v = await Promise.resolve(7); text(v); text(typeof this);`))).toEqual([
      "7",
      "undefined",
    ]);
  });

  it("helpers cannot be bent by tampering with builtins", async () => {
    const outcome = await run(`
      JSON.stringify = () => "hijacked";
      String.prototype.trim = () => "";
      Promise.prototype.then = function () { throw "hijacked then"; };
      text({ a: 1 });
      notify("still works");
      store("k", [1]);
      text(load("k").length);
    `);
    expect(texts(outcome)).toEqual(['{"a":1}', "1"]);
    expect(outcome.errorText).toBeUndefined();
  });

  it("helper globals cannot be replaced", async () => {
    const outcome = await run(`try { text = () => {}; } catch (e) { text("refused: " + e.name); } text("kept");`);
    expect(texts(outcome)).toEqual(["refused: TypeError", "kept"]);
  });
});
