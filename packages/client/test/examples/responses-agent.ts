// The README's agent loop over the OpenAI Responses API (between the region markers),
// type-checked against the real SDK and driven by a scripted model in the tests.
import type { CodeModeSession, ToolRegistry } from "@codemode/client";
import { createCodeModeTools } from "@codemode/client/model";
import type OpenAI from "openai";

export async function responsesAgent(
  openai: OpenAI,
  session: CodeModeSession,
  registry: ToolRegistry,
): Promise<OpenAI.Responses.Response> {
  // #region readme
  const codeMode = createCodeModeTools(session, { tools: registry.definitions, approvals: registry });
  let response = await openai.responses.create({
    model: "gpt-5",
    input: "What is 6 times 7?",
    tools: codeMode.definitions,
  });
  for (;;) {
    const outputs: OpenAI.Responses.ResponseInputItem[] = [];
    for (const call of response.output) {
      if (call.type !== "custom_tool_call" && call.type !== "function_call") continue;
      const freeform = call.type === "custom_tool_call";
      const items = await codeMode.handle({
        name: call.name,
        callId: call.call_id,
        input: freeform ? call.input : call.arguments,
      });
      const output = items.map((item) =>
        item.type === "text"
          ? { type: "input_text" as const, text: item.text }
          : { type: "input_image" as const, image_url: item.imageUrl, detail: "auto" as const },
      );
      outputs.push({
        type: freeform ? "custom_tool_call_output" : "function_call_output",
        call_id: call.call_id,
        output,
      });
    }
    if (outputs.length === 0) break; // the model answered: response.output_text
    response = await openai.responses.create({
      model: "gpt-5",
      previous_response_id: response.id,
      input: outputs,
      tools: codeMode.definitions,
    });
  }
  // #endregion readme
  return response;
}
