// exec and wait as AI SDK tools: the README's loop with `generateText` and a scripted model in
// the AI SDK's provider wire shapes (LanguageModelV3), running cells in the real daemon.
import type { LanguageModelV3CallOptions, LanguageModelV3GenerateResult } from "@ai-sdk/provider";
import { CodeModeClient, toolRegistry } from "@codemode/client";
import { MockLanguageModelV3 } from "ai/test";
import { expect, it } from "vitest";
import { aiSdkAgent } from "./examples/agent.js";

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};
const toolCall = (toolCallId: string, toolName: string, input: unknown): LanguageModelV3GenerateResult => ({
  content: [{ type: "tool-call", toolCallId, toolName, input: JSON.stringify(input) }],
  finishReason: { unified: "tool-calls", raw: "tool_calls" },
  usage,
  warnings: [],
});
const answer = (text: string): LanguageModelV3GenerateResult => ({
  content: [{ type: "text", text }],
  finishReason: { unified: "stop", raw: "stop" },
  usage,
  warnings: [],
});

/** The content parts of the tool result for `toolCallId` in a prompt the model got. */
function toolResult(options: LanguageModelV3CallOptions, toolCallId: string) {
  for (const message of options.prompt) {
    if (message.role !== "tool") continue;
    for (const part of message.content) {
      if (part.type === "tool-result" && part.toolCallId === toolCallId && part.output.type === "content") {
        return part.output.value;
      }
    }
  }
  return undefined;
}
const textOf = (parts: ReturnType<typeof toolResult>) =>
  (parts ?? []).map((part) => (part.type === "text" ? part.text : `[${part.type}]`)).join("");

it("generateText runs exec and wait end to end: a refused input, a fix that yields, a wait, an image", async () => {
  // One tool, its input checked against its schema: numbers only.
  const number = { type: "number" };
  const registry = toolRegistry([
    {
      name: "multiply",
      inputSchema: { type: "object", properties: { a: number, b: number }, required: ["a", "b"] },
      handler: (input) => (input as { a: number }).a * (input as { b: number }).b,
    },
  ]);
  await using client = await CodeModeClient.start();
  const session = await client.openSession({ delegate: registry });
  const turns = [
    toolCall("call_1", "exec", { code: `text(await tools.multiply({ a: "6", b: 7 }));` }),
    toolCall("call_2", "exec", {
      code: `const product = await tools.multiply({ a: 6, b: 7 });
      text("working"); yield_control();
      await new Promise((resolve) => setTimeout(resolve, 20));
      text(\`product: \${product}\`);`,
      yield_time_ms: 10_000,
    }),
    toolCall("call_3", "wait", { cell_id: "2" }),
    toolCall("call_4", "exec", { code: `image("data:image/png;base64,iVBORw0KGgo=");` }),
    answer("6 times 7 is 42."),
  ];
  const calls: LanguageModelV3CallOptions[] = [];
  const model = new MockLanguageModelV3({
    doGenerate: async (options) => {
      calls.push(options);
      const turn = turns[calls.length - 1];
      if (!turn) throw new Error("the script has no more turns");
      return turn;
    },
  });

  const result = await aiSdkAgent(model, session, registry);

  expect(result.text).toBe("6 times 7 is 42.");
  expect(calls).toHaveLength(5);
  const tools = calls[0]?.tools ?? [];
  expect(tools.map((tool) => tool.name)).toEqual(["exec", "wait"]);
  expect(tools[0]).toMatchObject({ type: "function", inputSchema: { required: ["code"] } });
  const last = calls[4] as LanguageModelV3CallOptions;
  expect(textOf(toolResult(last, "call_1"))).toMatch(
    /^Script failed\n[\s\S]*Script error:\ntools\.multiply: input\.a must be number$/,
  );
  expect(textOf(toolResult(last, "call_2"))).toMatch(/^Script running with cell ID 2\n[\s\S]*Output:\nworking$/);
  expect(textOf(toolResult(last, "call_3"))).toMatch(/^Script completed\n[\s\S]*Output:\nproduct: 42$/);
  expect(toolResult(last, "call_4")?.[1]).toEqual({ type: "image-data", data: "iVBORw0KGgo=", mediaType: "image/png" });
  // The step after the call that ran declares the result type learned from it.
  const described = (last.tools?.[0] as { description?: string } | undefined)?.description;
  expect(described).toContain("multiply(args: { a: number; b: number; }): Promise<number>");
  await session.shutdown();
});
