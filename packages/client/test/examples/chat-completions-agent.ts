// The README's agent loop over the Chat Completions API (between the region markers),
// type-checked against the real SDK and driven by a scripted model in the tests.
import type { CodeModeSession, ToolRegistry } from "@codemode/client";
import { createChatCompletionsTools } from "@codemode/client/model";
import type OpenAI from "openai";

export async function chatCompletionsAgent(
  openai: OpenAI,
  session: CodeModeSession,
  registry: ToolRegistry,
): Promise<OpenAI.ChatCompletionMessageParam[]> {
  // #region readme
  const codeMode = createChatCompletionsTools(session, { tools: registry.definitions, approvals: registry });
  const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "What is 6 times 7?" }];
  for (;;) {
    const completion = await openai.chat.completions.create({
      model: "gpt-4.1",
      messages,
      tools: codeMode.definitions,
    });
    const message = completion.choices[0]?.message;
    if (!message) break;
    messages.push(message);
    if (!message.tool_calls?.length) break; // the model answered: message.content
    for (const call of message.tool_calls) {
      if (call.type === "function") messages.push(await codeMode.handle(call));
    }
  }
  // #endregion readme
  return messages;
}
