// exec and wait for every model API: the README's agent loops, with the API's own SDK client
// talking to a scripted model in its exact wire shapes, running cells in the real daemon.
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { IMAGE_NOT_SHOWN } from "../src/model/text-only.js";
import { anthropicMessagesAgent } from "./examples/anthropic-messages-agent.js";
import { chatCompletionsAgent } from "./examples/chat-completions-agent.js";
import { responsesAgent } from "./examples/responses-agent.js";
import { multiply, registrySessions } from "./registry-sessions.js";
import { scriptedModel, textOf } from "./scripted-model.js";

const daemon = registrySessions();

/** What the scripted model writes, turn by turn: a mistake, a fix that yields, a wait. */
const WRONG = `text(await tools.multiply({ a: "6", b: 7 }));`;
const RIGHT = `const product = await tools.multiply({ a: 6, b: 7 });
text("working"); yield_control();
await new Promise((resolve) => setTimeout(resolve, 20));
text(\`product: \${product}\`);`;
const IMAGE = `image("data:image/png;base64,iVBORw0KGgo=");`;

const agentSession = () => daemon.open([multiply]);

describe("Responses", () => {
  const response = (output: Record<string, unknown>[]) => ({
    id: `resp_${output.length}`,
    object: "response",
    created_at: 0,
    status: "completed",
    model: "gpt-5",
    output,
    parallel_tool_calls: true,
    tool_choice: "auto",
    tools: [],
  });
  const custom = (call_id: string, input: string) => ({
    type: "custom_tool_call",
    id: `ctc_${call_id}`,
    call_id,
    name: "exec",
    input,
  });
  const fn = (call_id: string, name: string, args: unknown) => ({
    type: "function_call",
    id: `fc_${call_id}`,
    call_id,
    name,
    arguments: JSON.stringify(args),
    status: "completed",
  });
  /** The output answering `callId` in the request the model got, as text (an image as `[input_image]`). */
  const output = (request: Record<string, unknown>, callId: string) =>
    (
      (request.input as { call_id?: string; output: { type: string; text?: string }[] }[]).find(
        (item) => item.call_id === callId,
      )?.output ?? []
    )
      .map((part) => (part.type === "input_text" ? part.text : `[${part.type}]`))
      .join("");

  it("a model loop runs exec (freeform) and wait end to end: a refused input, a fix that yields, a wait", async () => {
    const { registry, session } = await agentSession();
    await using model = await scriptedModel([
      () => response([custom("call_1", WRONG)]),
      () => response([custom("call_2", `// @exec: {"yield_time_ms": 10000}\n${RIGHT}`)]),
      () => response([fn("call_3", "wait", { cell_id: "2" })]),
      () => response([custom("call_4", IMAGE)]),
      () =>
        response([
          {
            type: "message",
            id: "msg_1",
            role: "assistant",
            status: "completed",
            content: [{ type: "output_text", text: "6 times 7 is 42.", annotations: [] }],
          },
        ]),
    ]);
    const openai = new OpenAI({ apiKey: "test", baseURL: `${model.url}/v1`, maxRetries: 0 });
    const final = await responsesAgent(openai, session, registry);

    expect(model.paths).toEqual(Array(5).fill("/v1/responses"));
    const tools = model.requests[0]?.tools as { type: string; name: string }[];
    expect(tools.map((tool) => [tool.type, tool.name])).toEqual([
      ["custom", "exec"],
      ["function", "wait"],
    ]);
    expect(model.requests[1]).toMatchObject({ previous_response_id: "resp_1" });
    expect(output(model.requests[1] ?? {}, "call_1")).toMatch(
      /^Script failed\n[\s\S]*Script error:\ntools\.multiply: input\.a must be number$/,
    );
    expect(output(model.requests[2] ?? {}, "call_2")).toMatch(
      /^Script running with cell ID 2\n[\s\S]*Output:\nworking$/,
    );
    expect(output(model.requests[3] ?? {}, "call_3")).toMatch(/^Script completed\n[\s\S]*Output:\nproduct: 42$/);
    expect(output(model.requests[4] ?? {}, "call_4")).toMatch(/Output:\n\[input_image\]$/);
    expect(final.output_text).toBe("6 times 7 is 42.");
    await session.shutdown();
  });
});

describe("Chat Completions", () => {
  const completion = (message: Record<string, unknown>) => ({
    id: "chatcmpl-1",
    object: "chat.completion",
    created: 0,
    model: "gpt-4.1",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: null, refusal: null, ...message },
        finish_reason: "tool_calls" in message ? "tool_calls" : "stop",
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });
  const call = (id: string, name: string, args: unknown) =>
    completion({ tool_calls: [{ id, type: "function", function: { name, arguments: JSON.stringify(args) } }] });
  /** The text of the tool message answering `id`, in the request the model got. */
  const answer = (request: Record<string, unknown>, id: string) =>
    textOf(
      (request.messages as { role: string; tool_call_id?: string; content: unknown }[]).find(
        (message) => message.role === "tool" && message.tool_call_id === id,
      )?.content,
    );

  it("a model loop runs exec and wait end to end: a refused input, a fix that yields, a wait", async () => {
    const { registry, session } = await agentSession();
    const seen: string[] = [];
    await using model = await scriptedModel([
      () => call("call_1", "exec", { code: WRONG }),
      (request) => {
        seen.push(answer(request, "call_1"));
        return call("call_2", "exec", { code: RIGHT, yield_time_ms: 10_000 });
      },
      (request) => {
        seen.push(answer(request, "call_2"));
        return call("call_3", "wait", { cell_id: "2" });
      },
      (request) => {
        seen.push(answer(request, "call_3"));
        return completion({ content: "6 times 7 is 42." });
      },
    ]);
    const openai = new OpenAI({ apiKey: "test", baseURL: `${model.url}/v1`, maxRetries: 0 });
    const messages = await chatCompletionsAgent(openai, session, registry);

    expect(model.paths).toEqual(Array(4).fill("/v1/chat/completions"));
    const tools = model.requests[0]?.tools as { type: string; function: { name: string; description: string } }[];
    expect(tools.map((tool) => [tool.type, tool.function.name])).toEqual([
      ["function", "exec"],
      ["function", "wait"],
    ]);
    expect(tools[0]?.function.description).toContain("multiply(args: { a: number; b: number; }): Promise<unknown>");
    expect(seen[0]).toMatch(/^Script failed\n[\s\S]*Script error:\ntools\.multiply: input\.a must be number$/);
    expect(seen[1]).toMatch(/^Script running with cell ID 2\n[\s\S]*Output:\nworking$/);
    expect(seen[2]).toMatch(/^Script completed\n[\s\S]*Output:\nproduct: 42$/);
    expect(messages.at(-1)).toMatchObject({ role: "assistant", content: "6 times 7 is 42." });
    // The next request declares the result type learned from the call that ran.
    const lastTools = model.requests[3]?.tools as { function: { description: string } }[];
    expect(lastTools[0]?.function.description).toContain("multiply(args: { a: number; b: number; }): Promise<number>");
    await session.shutdown();
  });

  it("a model's mistakes come back as text; an image becomes a note", async () => {
    const { registry, session } = await agentSession();
    await using model = await scriptedModel([
      () => completion({ tool_calls: [{ id: "c1", type: "function", function: { name: "exec", arguments: "{" } }] }),
      () => call("c2", "exec", { source: "text(1)" }),
      () => call("c3", "search", {}),
      () => call("c4", "exec", { code: IMAGE }),
      () => completion({ content: "done" }),
    ]);
    const openai = new OpenAI({ apiKey: "test", baseURL: `${model.url}/v1`, maxRetries: 0 });
    await chatCompletionsAgent(openai, session, registry);
    const last = model.requests[4] as Record<string, unknown>;
    expect(answer(last, "c1")).toMatch(/^invalid exec arguments: not valid JSON: /);
    expect(answer(last, "c2")).toBe(
      "invalid exec arguments: `code` must be a string; unknown field `source`; exec accepts `code`, `yield_time_ms` and `max_output_tokens`",
    );
    expect(answer(last, "c3")).toBe("unknown tool search; the tools are exec and wait");
    expect(answer(last, "c4")).toMatch(/^Script completed\n/);
    expect(answer(last, "c4").endsWith(`Output:\n${IMAGE_NOT_SHOWN}`)).toBe(true);
    await session.shutdown();
  });
});

describe("Anthropic Messages", () => {
  const message = (content: Record<string, unknown>[]) => ({
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "claude-sonnet-4-5",
    content,
    stop_reason: content.some((block) => block.type === "tool_use") ? "tool_use" : "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 1, output_tokens: 1 },
  });
  const use = (id: string, name: string, input: unknown) => message([{ type: "tool_use", id, name, input }]);
  /** The `tool_result` block answering `id`, in the request the model got. */
  const result = (request: Record<string, unknown>, id: string) =>
    (request.messages as { content: unknown }[])
      .flatMap((entry) => (Array.isArray(entry.content) ? entry.content : []))
      .find(
        (block: { type?: string; tool_use_id?: string }) => block.type === "tool_result" && block.tool_use_id === id,
      ) as { content: { type: string; text?: string; source?: unknown }[]; is_error?: boolean } | undefined;

  it("a model loop runs exec and wait end to end: a refused input, a fix that yields, a wait", async () => {
    const { registry, session } = await agentSession();
    await using model = await scriptedModel([
      () => use("toolu_1", "exec", { code: WRONG }),
      () => use("toolu_2", "exec", { code: RIGHT, yield_time_ms: 10_000 }),
      () => use("toolu_3", "wait", { cell_id: "2" }),
      () => use("toolu_4", "exec", { code: IMAGE }),
      () => message([{ type: "text", text: "6 times 7 is 42.", citations: null }]),
    ]);
    const anthropic = new Anthropic({ apiKey: "test", baseURL: model.url, maxRetries: 0 });
    const messages = await anthropicMessagesAgent(anthropic, session, registry);

    expect(model.paths).toEqual(Array(5).fill("/v1/messages"));
    const tools = model.requests[0]?.tools as { name: string; input_schema: { required: string[] } }[];
    expect(tools.map((tool) => [tool.name, tool.input_schema.required])).toEqual([
      ["exec", ["code"]],
      ["wait", ["cell_id"]],
    ]);
    const last = model.requests[4] as Record<string, unknown>;
    const failed = result(last, "toolu_1");
    expect(failed?.is_error).toBe(true);
    expect(textOf(failed?.content)).toMatch(/Script error:\ntools\.multiply: input\.a must be number$/);
    const yielded = result(last, "toolu_2");
    expect(yielded?.is_error).toBeUndefined();
    expect(textOf(yielded?.content)).toMatch(/^Script running with cell ID 2\n[\s\S]*Output:\nworking$/);
    expect(textOf(result(last, "toolu_3")?.content)).toMatch(/^Script completed\n[\s\S]*Output:\nproduct: 42$/);
    expect(result(last, "toolu_4")?.content[1]).toEqual({
      type: "image",
      source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" },
    });
    expect(messages.at(-1)).toMatchObject({ role: "assistant", content: [{ type: "text", text: "6 times 7 is 42." }] });
    await session.shutdown();
  });
});
