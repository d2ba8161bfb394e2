// `exec` and `wait` for the Chat Completions API: two function tools (`exec` takes `{code}`),
// and each tool call answered with the tool message to append.
import type { CodeModeSession } from "../types.js";
import { answerModelCall, type CodeModeToolsOptions, execAndWait, type FunctionParameters } from "./code-mode-tools.js";
import { textOnly } from "./text-only.js";

/** A function tool as `tools` of a Chat Completions request takes it. */
export interface ChatCompletionsFunctionTool {
  type: "function";
  function: { name: string; description: string; parameters: FunctionParameters; strict: false };
}

/** A function tool call of an assistant message (`message.tool_calls[i]` with `type: "function"`). */
export interface ChatCompletionsToolCall {
  id: string;
  function: { name: string; arguments: string };
}

/** The message that answers a tool call; images, which tool messages cannot carry, are described in text. */
export interface ChatCompletionsToolMessage {
  role: "tool";
  tool_call_id: string;
  content: { type: "text"; text: string }[];
}

export interface ChatCompletionsTools {
  /** Both tools, made anew on each read (see `CodeModeTools.exec`): pass them with every request. */
  readonly definitions: ChatCompletionsFunctionTool[];
  /**
   * Runs the call and returns the tool message to append. A model's mistake (bad JSON, bad
   * arguments, an unknown tool) is answered as text for it to fix; a failure of the runtime is
   * thrown. Aborting `signal` terminates an `exec` cell, or abandons a `wait`.
   */
  handle(call: ChatCompletionsToolCall, signal?: AbortSignal): Promise<ChatCompletionsToolMessage>;
}

export function createChatCompletionsTools(
  session: CodeModeSession,
  options: CodeModeToolsOptions,
): ChatCompletionsTools {
  return {
    get definitions() {
      return execAndWait<ChatCompletionsFunctionTool>(session, options, (name, description, parameters) => ({
        type: "function",
        // Optional fields are not a strict-mode schema; the arguments are validated here instead.
        function: { name, description, parameters, strict: false },
      }));
    },
    async handle(call, signal) {
      const { name, arguments: input } = call.function;
      const answer = await answerModelCall(session, options, { name, callId: call.id, input }, "function", signal);
      return { role: "tool", tool_call_id: call.id, content: textOnly(answer.items) };
    },
  };
}
