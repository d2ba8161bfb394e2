// The README's agent loop with the AI SDK (between the region markers), type-checked against
// the real `ai` types and driven by a scripted model in the tests.
import { codeModeTools } from "@codemode/ai-sdk";
import type { CodeModeSession, ToolRegistry } from "@codemode/client";
import { generateText, type LanguageModel, stepCountIs } from "ai";

export async function aiSdkAgent(model: LanguageModel, session: CodeModeSession, registry: ToolRegistry) {
  // #region readme
  const result = await generateText({
    model,
    tools: codeModeTools(session, { tools: registry.definitions, approvals: registry }),
    stopWhen: stepCountIs(20),
    prompt: "What is 6 times 7?",
  });
  // #endregion readme
  return result;
}
