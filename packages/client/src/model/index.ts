// The model-facing layer: what a host hands the model as `exec` and `wait`, and how results read.

export {
  type AnthropicTool,
  type AnthropicToolResult,
  type AnthropicToolResultContent,
  type AnthropicTools,
  type AnthropicToolUse,
  createAnthropicTools,
} from "./anthropic-messages.js";
export { callToolResultSchema, MCP_TYPES } from "./call-tool-result.js";
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
export { type ExecSource, ExecSourceErrors, parseExecSource } from "./exec-source.js";
export { isJsIdentifier, jsToolName } from "./identifiers.js";
export { parseImageDataUrl } from "./image-data-url.js";
export { type RenderOptions, renderOutcome } from "./render.js";
export { schemaToTypeScript } from "./schema-to-ts.js";
export { IMAGE_NOT_SHOWN, textOnly } from "./text-only.js";
export {
  type DescribedTool,
  EXEC_ENVIRONMENT,
  execToolDescription,
  OBSERVED_TYPE_NOTE,
  toolDeclaration,
} from "./tool-description.js";
export {
  countLines,
  DEFAULT_MAX_OUTPUT_TOKENS,
  estimateTokens,
  truncateItems,
  truncateMiddle,
  utf8Length,
} from "./truncate.js";
export {
  parseWaitArguments,
  WAIT_TOOL,
  WAIT_TOOL_DESCRIPTION,
  WAIT_TOOL_NAME,
  WAIT_TOOL_PARAMETERS,
  type WaitArguments,
} from "./wait-tool.js";
