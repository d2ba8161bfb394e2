import { type CellOutcome, ErrorCode, Messages } from "@codemode/protocol";
import { describe, expect, it } from "vitest";
import { CodeModeError } from "../errors.js";
import type { CodeModeSession, ExecuteRequest, WaitRequest } from "../types.js";
import { createCodeModeTools } from "./code-mode-tools.js";
import { ExecSourceErrors } from "./exec-source.js";
import { WAIT_TOOL } from "./wait-tool.js";

const TOOLS = [
  {
    name: "get_weather",
    description: "Weather of a city.",
    inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
];

/** A session that records what it is asked and answers with the outcomes it is given. */
function fakeSession(answer: CellOutcome | CodeModeError) {
  const asked: (ExecuteRequest | WaitRequest | { terminate: string })[] = [];
  const settle = async () => {
    if (answer instanceof CodeModeError) throw answer;
    return answer;
  };
  const session: CodeModeSession = {
    sessionId: "s",
    isAlive: () => true,
    async execute(request) {
      asked.push(request);
      if (answer instanceof CodeModeError) throw answer;
      return { cellId: answer.cellId, initialResponse: settle() as Promise<never> };
    },
    async wait(request) {
      asked.push(request);
      return settle();
    },
    async terminate(cellId) {
      asked.push({ terminate: cellId });
      return settle();
    },
    async shutdown() {},
  };
  return { session, asked };
}

const completed = (text: string): CellOutcome => ({
  status: "completed",
  cellId: "1",
  items: [{ type: "text", text }],
});
const headerOf = (items: { type: string; text?: string }[]) => items[0]?.text?.split("\n")[0];

describe("createCodeModeTools", () => {
  it("defines exec as a freeform tool describing the enabled tools, and wait as a function tool", () => {
    const tools = createCodeModeTools(fakeSession(completed("x")).session, { tools: TOOLS });
    expect(tools.exec).toMatchObject({ type: "custom", name: "exec", format: { type: "text" } });
    expect(tools.exec.description).toContain(
      "declare const tools: { get_weather(args: { city: string; }): Promise<unknown>; };",
    );
    expect(tools.wait).toBe(WAIT_TOOL);
    expect(tools.definitions).toEqual([tools.exec, WAIT_TOOL]);
  });

  it("exec runs the source without its pragma, with the pragma's yield time, and renders the outcome", async () => {
    const { session, asked } = fakeSession(completed("hello"));
    const tools = createCodeModeTools(session, { tools: TOOLS });
    const items = await tools.handle({
      name: "exec",
      callId: "call-1",
      input: '// @exec: {"yield_time_ms": 50}\ntext("hello")',
    });
    expect(asked).toEqual([{ toolCallId: "call-1", source: 'text("hello")', enabledTools: TOOLS, yieldTimeMs: 50 }]);
    expect(items).toHaveLength(2);
    expect(items[0]?.type === "text" && items[0].text).toMatch(
      /^Script completed\nWall time \d+\.\d seconds\nOutput:\n$/,
    );
    expect(items[1]).toEqual({ type: "text", text: "hello" });
  });

  it("exec without a pragma leaves the yield time to the session and keeps 10 000 tokens of output", async () => {
    const { session, asked } = fakeSession(completed("x".repeat(40_000)));
    const tools = createCodeModeTools(session, { tools: [] });
    const fits = await tools.handle({ name: "exec", callId: "c", input: "text(1)" });
    expect(asked).toEqual([{ toolCallId: "c", source: "text(1)", enabledTools: [] }]);
    expect(fits[1]).toEqual({ type: "text", text: "x".repeat(40_000) });
    const { session: longer } = fakeSession(completed("x".repeat(40_001)));
    const cut = await createCodeModeTools(longer, { tools: [] }).handle({
      name: "exec",
      callId: "c",
      input: "text(1)",
    });
    expect(cut[1]?.type === "text" && cut[1].text).toMatch(
      /^Warning: truncated output \(original token count: 10001\)/,
    );
  });

  it("exec truncates to the pragma's max_output_tokens", async () => {
    const { session } = fakeSession(completed("x".repeat(1000)));
    const tools = createCodeModeTools(session, { tools: [] });
    const items = await tools.handle({
      name: "exec",
      callId: "c",
      input: '// @exec: {"max_output_tokens": 10}\ntext(1)',
    });
    expect(items[1]?.type === "text" && items[1].text).toMatch(
      /^Warning: truncated output \(original token count: 250\)/,
    );
  });

  it("exec answers a bad pragma or a blank input with the spec's text and runs nothing", async () => {
    const { session, asked } = fakeSession(completed("x"));
    const tools = createCodeModeTools(session, { tools: [] });
    expect(await tools.handle({ name: "exec", callId: "c", input: "  \n" })).toEqual([
      { type: "text", text: ExecSourceErrors.blank },
    ]);
    expect(await tools.handle({ name: "exec", callId: "c", input: '// @exec: {"x": 1}\ntext(1)' })).toEqual([
      { type: "text", text: ExecSourceErrors.unsupportedField("x") },
    ]);
    expect(asked).toEqual([]);
  });

  it("wait waits with its defaults, or terminates, and renders the outcome", async () => {
    const { session, asked } = fakeSession({ status: "terminated", cellId: "3", items: [] });
    const tools = createCodeModeTools(session, { tools: [] });
    await tools.handle({ name: "wait", callId: "w1", input: '{"cell_id": "3"}' });
    const items = await tools.handle({ name: "wait", callId: "w2", input: { cell_id: "3", terminate: true } });
    expect(asked).toEqual([{ cellId: "3", yieldTimeMs: 10_000 }, { terminate: "3" }]);
    expect(headerOf(items)).toBe("Script terminated");
  });

  it("wait renders a missing cell as a failure", async () => {
    const missing: CellOutcome = { status: "missing", cellId: "9", items: [], errorText: Messages.missingCell("9") };
    const tools = createCodeModeTools(fakeSession(missing).session, { tools: [] });
    const items = await tools.handle({ name: "wait", callId: "w", input: { cell_id: "9" } });
    expect(headerOf(items)).toBe("Script failed");
    expect(items.at(-1)).toEqual({ type: "text", text: "Script error:\nexec cell 9 not found" });
  });

  it("wait answers bad arguments for the model to fix", async () => {
    const { session, asked } = fakeSession(completed("x"));
    const tools = createCodeModeTools(session, { tools: [] });
    const [item] = await tools.handle({ name: "wait", callId: "w", input: { cell_id: "1", forever: true } });
    expect(item?.type === "text" && item.text).toMatch(/^invalid wait arguments: unknown field `forever`/);
    expect(asked).toEqual([]);
  });

  it("answers the model's own mistakes with the daemon's text, and throws the runtime's failures", async () => {
    const busy = new CodeModeError(ErrorCode.BusyObserver, Messages.busyObserver("1"));
    const tools = createCodeModeTools(fakeSession(busy).session, { tools: [] });
    expect(await tools.handle({ name: "wait", callId: "w", input: { cell_id: "1" } })).toEqual([
      { type: "text", text: "exec cell 1 already has an active observer" },
    ]);
    const lost = new CodeModeError(ErrorCode.InternalError, Messages.runtimeEnded);
    const failing = createCodeModeTools(fakeSession(lost).session, { tools: [] });
    await expect(failing.handle({ name: "exec", callId: "c", input: "text(1)" })).rejects.toBe(lost);
  });

  it("answers an unknown tool name, and refuses exec input that is not text", async () => {
    const tools = createCodeModeTools(fakeSession(completed("x")).session, { tools: [] });
    expect(await tools.handle({ name: "shell", callId: "c", input: "ls" })).toEqual([
      { type: "text", text: "unknown tool shell; the tools are exec and wait" },
    ]);
    await expect(tools.handle({ name: "exec", callId: "c", input: { source: "x" } })).rejects.toThrow(TypeError);
  });
});
