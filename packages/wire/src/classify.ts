// Deciding what a message body is, without trusting the peer: broken JSON, non-objects,
// wrong versions and messages nested too deep each become the error response to write (with
// the request's id when one can be read), so that vscode-jsonrpc only ever sees well-formed
// messages.
import { ErrorCode, MAX_MESSAGE_DEPTH } from "@codemode/protocol";
import type { Message, ResponseMessage } from "vscode-jsonrpc/node";

type Id = ResponseMessage["id"];

type Classified = { message: Message } | { invalid: ResponseMessage } | { ignore: true };

export const errorResponse = (id: Id, code: number, message: string): ResponseMessage => ({
  jsonrpc: "2.0",
  id,
  error: { code, message },
});

const invalid = (id: Id, code: number, message: string): Classified => ({
  invalid: errorResponse(id, code, message),
});

function isErrorObject(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return typeof code === "number" && typeof message === "string";
}

const isUsableId = (id: unknown): id is string | number =>
  typeof id === "string" || (typeof id === "number" && Number.isFinite(id));

const paramsId = (params: unknown): unknown =>
  typeof params === "object" && params !== null && !Array.isArray(params) ? (params as { id?: unknown }).id : undefined;

const tooDeep = `nests deeper than ${MAX_MESSAGE_DEPTH} levels`;

/** Parses a message body and says what it is, or what to answer. */
export function classifyBody(text: string): Classified {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const id = readableId(text);
    return invalid(id === undefined ? null : id, ErrorCode.ParseError, "parse error: invalid JSON");
  }
  const classified = classify(value);
  // Nesting only a hostile or broken peer writes; the text bounds it, so most bodies skip the walk.
  if (
    "message" in classified &&
    text.length > 2 * MAX_MESSAGE_DEPTH &&
    depthOver(classified.message, MAX_MESSAGE_DEPTH)
  ) {
    const { id } = classified.message as { id?: unknown };
    const usableId = isUsableId(id) ? id : null;
    return "method" in classified.message
      ? invalid(usableId, ErrorCode.InvalidRequest, `message ${tooDeep}`)
      : { message: errorResponse(usableId, ErrorCode.InternalError, `the peer's answer ${tooDeep}`) };
  }
  return classified;
}

/** Checks that a parsed value is a JSON-RPC 2.0 message, or says what to answer. */
function classify(value: unknown): Classified {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const what = Array.isArray(value) ? "batches are not supported" : "a message must be a JSON object";
    return invalid(null, ErrorCode.InvalidRequest, what);
  }
  const record = value as Record<string, unknown>;
  const id = record.id;
  const usableId = isUsableId(id) ? id : null;
  if (record.jsonrpc !== "2.0") return invalid(usableId, ErrorCode.InvalidRequest, 'jsonrpc must be "2.0"');
  if ("method" in record) {
    if (typeof record.method !== "string")
      return invalid(usableId, ErrorCode.InvalidRequest, "method must be a string");
    if (id !== undefined && usableId === null)
      return invalid(null, ErrorCode.InvalidRequest, "id must be a string or a number");
    if (
      "params" in record &&
      (typeof record.params !== "object" || record.params === null) &&
      record.params !== undefined
    ) {
      return usableId === null
        ? { ignore: true }
        : invalid(usableId, ErrorCode.InvalidParams, "params must be an object or an array");
    }
    // vscode-jsonrpc reads `params.id` of a cancellation unguarded; one without a usable id
    // cancels nothing, so it is dropped like any other notification we cannot act on.
    if (record.method === "$/cancelRequest" && id === undefined && !isUsableId(paramsId(record.params)))
      return { ignore: true };
    return { message: record as unknown as Message };
  }
  // A response. An error that is not `{ code: number, message: string }` would throw inside
  // vscode-jsonrpc and leave the request waiting for ever: it becomes an error that says so.
  // (`"error": null` beside a result is how some libraries say "no error".)
  if ("error" in record && record.error !== null && record.error !== undefined && !isErrorObject(record.error)) {
    return { message: errorResponse(usableId, ErrorCode.InternalError, "the peer answered with a malformed error") };
  }
  if ("result" in record || "error" in record) return { message: record as unknown as Message };
  return invalid(usableId, ErrorCode.InvalidRequest, "neither a request, a notification nor a response");
}

/** Whether objects and arrays nest in `value` deeper than `limit` levels (walked without recursion). */
export function depthOver(value: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item !== "object" || item === null) continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (typeof child === "object" && child !== null) pending.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * The id of a damaged message, if its text still shows one: the first `"id"` key at the top
 * level of an object, with a string or number value.
 */
export function readableId(text: string): string | number | undefined {
  let depth = 0;
  for (let at = 0; at < text.length; at++) {
    const char = text[at];
    if (char === "{" || char === "[") depth++;
    else if (char === "}" || char === "]") depth--;
    else if (char === '"') {
      const end = stringEnd(text, at);
      if (end < 0) return undefined;
      if (depth === 1 && text.slice(at, end + 1) === '"id"') return idValue(text, end + 1);
      at = end;
    }
  }
  return undefined;
}

/** The value after a key ending at `from`, if it is a usable id. */
function idValue(text: string, from: number): string | number | undefined {
  const colon = /^\s*:\s*/.exec(text.slice(from, from + 64));
  if (!colon) return undefined;
  const start = from + colon[0].length;
  const end =
    text[start] === '"'
      ? stringEnd(text, start) + 1
      : start + (/^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(start, start + 64))?.[0].length ?? 0);
  // Only a value the text shows whole: `"id":12` cut from `"id":123,` is not id 12.
  if (!/^\s*[,}]/.test(text.slice(end, end + 64))) return undefined;
  try {
    const id: unknown = JSON.parse(text.slice(start, end));
    return isUsableId(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** The index of the quote that closes the string opening at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  for (let at = start + 1; at < text.length; at++) {
    if (text[at] === "\\") at++;
    else if (text[at] === '"') return at;
  }
  return -1;
}
