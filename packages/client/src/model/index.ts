// `@codemode/client/model`: the model-facing layer, what a host hands the model as `exec` and
// `wait`, and how their results read. Its helpers (schema rendering, truncation, identifiers)
// stay internal.

export {
  type AnthropicTool,
  type AnthropicToolResult,
  type AnthropicToolResultContent,
  type AnthropicTools,
  type AnthropicToolUse,
  createAnthropicTools,
} from "./anthropic-messages.js";
export { type Approvals, type ExecCall, type ModelAnswer, refusal, runExec, runWait } from "./cell-calls.js";
export {
  type ChatCompletionsFunctionTool,
  type ChatCompletionsToolCall,
  type ChatCompletionsToolMessage,
  type ChatCompletionsTools,
  createChatCompletionsTools,
} from "./chat-completions.js";
export {
  answerModelCall,
  type CodeModeTools,
  type CodeModeToolsOptions,
  createCodeModeTools,
  describeExec,
  EXEC_TOOL_NAME,
  type ExecToolDefinition,
  type ModelToolCall,
} from "./code-mode-tools.js";
export { EXEC_TOOL_PARAMETERS, type ExecArguments, parseExecArguments } from "./exec-arguments.js";
export { type ExecSource, parseExecSource } from "./exec-source.js";
export { jsToolName } from "./identifiers.js";
export { parseImageDataUrl } from "./image-data-url.js";
export { type RenderOptions, renderOutcome } from "./render.js";
export {
  parseWaitArguments,
  WAIT_TOOL,
  WAIT_TOOL_DESCRIPTION,
  WAIT_TOOL_NAME,
  WAIT_TOOL_PARAMETERS,
  type WaitArguments,
} from "./wait-tool.js";
