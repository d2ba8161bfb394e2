// `exec` and `wait` for the Anthropic Messages API: two tools with an `input_schema`, and each
// `tool_use` block answered with the `tool_result` block to send back.
import type { ContentItem } from "@codemode/protocol";
import type { CodeModeSession } from "../types.js";
import { answerModelCall, type CodeModeToolsOptions, execAndWait } from "./code-mode-tools.js";
import { parseImageDataUrl } from "./image-data-url.js";
import { IMAGE_NOT_SHOWN } from "./text-only.js";

/** A client tool as `tools` of a Messages request takes it. */
export interface AnthropicTool {
  name: string;
  description: string;
  input_schema: { type: "object"; properties: Record<string, unknown>; required: string[]; [key: string]: unknown };
}

/** A `tool_use` block of an assistant message. */
export interface AnthropicToolUse {
  id: string;
  name: string;
  input: unknown;
}

/** The image media types a Messages `image` block takes. */
const IMAGE_MEDIA_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"] as const;
type ImageMediaType = (typeof IMAGE_MEDIA_TYPES)[number];

export type AnthropicToolResultContent =
  | { type: "text"; text: string }
  | { type: "image"; source: { type: "base64"; media_type: ImageMediaType; data: string } };

/** The block answering a `tool_use`, for the next user message. */
export interface AnthropicToolResult {
  type: "tool_result";
  tool_use_id: string;
  content: AnthropicToolResultContent[];
  /** Set when the cell failed, or the call was refused. */
  is_error?: true;
}

export interface AnthropicTools {
  /** Both tools, made anew on each read (see `CodeModeTools.exec`): pass them with every request. */
  readonly definitions: AnthropicTool[];
  /**
   * Runs the call and returns its `tool_result` block. A model's mistake is answered as text
   * (with `is_error`); a failure of the runtime is thrown. Aborting `signal` terminates an
   * `exec` cell, or abandons a `wait`.
   */
  handle(call: AnthropicToolUse, signal?: AbortSignal): Promise<AnthropicToolResult>;
}

export function createAnthropicTools(session: CodeModeSession, options: CodeModeToolsOptions): AnthropicTools {
  return {
    get definitions() {
      return execAndWait<AnthropicTool>(session, options, (name, description, parameters) => ({
        name,
        description,
        // A copy: the SDK's type wants a mutable `required`.
        input_schema: { ...parameters, required: [...parameters.required] },
      }));
    },
    async handle(call, signal) {
      const answer = await answerModelCall(session, options, { ...call, callId: call.id }, "function", signal);
      return {
        type: "tool_result",
        tool_use_id: call.id,
        content: answer.items.map(anthropicContent),
        ...(answer.failed ? { is_error: true as const } : {}),
      };
    },
  };
}

/** An image as a base64 `image` block when it is a `data:` URL of a type the API takes; else a note. */
function anthropicContent(item: ContentItem): AnthropicToolResultContent {
  if (item.type === "text") return item;
  const image = parseImageDataUrl(item.imageUrl);
  const mediaType = IMAGE_MEDIA_TYPES.find((type) => type === image?.mediaType);
  if (!image || mediaType === undefined) return { type: "text", text: IMAGE_NOT_SHOWN };
  return { type: "image", source: { type: "base64", media_type: mediaType, data: image.data } };
}
