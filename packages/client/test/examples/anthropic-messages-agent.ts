// The README's agent loop over the Anthropic Messages API (between the region markers),
// type-checked against the real SDK and driven by a scripted model in the tests.
import type Anthropic from "@anthropic-ai/sdk";
import type { CodeModeSession, ToolRegistry } from "@codemode/client";
import { createAnthropicTools } from "@codemode/client/model";

export async function anthropicMessagesAgent(
  anthropic: Anthropic,
  session: CodeModeSession,
  registry: ToolRegistry,
): Promise<Anthropic.MessageParam[]> {
  // #region readme
  const codeMode = createAnthropicTools(session, { tools: registry.definitions, approvals: registry });
  const messages: Anthropic.MessageParam[] = [{ role: "user", content: "What is 6 times 7?" }];
  for (;;) {
    const response = await anthropic.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 4096,
      messages,
      tools: codeMode.definitions,
    });
    messages.push({ role: "assistant", content: response.content });
    const uses = response.content.filter((block) => block.type === "tool_use");
    if (uses.length === 0) break; // the model answered: the text blocks of response.content
    const results = [];
    for (const use of uses) results.push(await codeMode.handle(use));
    messages.push({ role: "user", content: results });
  }
  // #endregion readme
  return messages;
}
