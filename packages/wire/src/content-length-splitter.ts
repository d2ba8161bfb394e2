// LSP framing: `Content-Length: n` (other header lines allowed), a blank line, n bytes of JSON.
// A wrong length must not desynchronise the stream for ever, so the splitter resynchronises on
// the next valid header: a raw CR LF never occurs inside a JSON string, and a line ending in
// `Content-Length: 12` is not JSON outside one, so such a line inside a body is really the
// next message's header (the length was too long); bytes where a header should start but none
// does (the length was too short, or stray bytes) are skipped up to the next header.
import { preview, type Splitter } from "./splitter.js";

const MAX_HEADER_BYTES = 8 * 1024;
const CRLF = Buffer.from("\r\n");
const HEADER_END = Buffer.from("\r\n\r\n");
/** The longest header line looked for inside a body (`Content-Length:` plus blanks and digits). */
const LOOKBACK = 64;
/** How much of the input is searched for the next header at once. */
const JUNK_WINDOW = 64 * 1024;

const HEADER_LINE_END = /content-length[ \t]*:[ \t]*\d+[ \t]*$/i;
const HEADER_CANDIDATE = /content-length[ \t]*:/gi;
/** A header line, or the beginning of one (a name is an HTTP token). */
const HEADER_PREFIX = /^[\w!#$%&'*+.^`|~-]*(?:[ \t]*:[^\r\n]*)?\r?$/;
const HEADER_FIELD = /^[\w!#$%&'*+.^`|~-]+[ \t]*:[^\r\n]*$/;
const CONTENT_LENGTH = /^content-length[ \t]*:[ \t]*(\d+)[ \t]*$/i;

type State =
  | { kind: "header" }
  /** Skipping bytes that are no frame, up to the next header. */
  | { kind: "junk" }
  /** A body of `length` bytes; CR LFs are searched for a header up to `scanned`. */
  | { kind: "body"; length: number; scanned: number }
  /** The rest of a body over the size limit, dropped as it arrives. */
  | { kind: "dropping"; remaining: number };

export function contentLengthSplitter(maxMessageBytes: number): Splitter {
  let state: State = { kind: "header" };

  const junk = (buffer: Buffer, from: number) => {
    const entering = state.kind !== "junk";
    state = { kind: "junk" };
    const window = Math.min(buffer.length, JUNK_WINDOW);
    HEADER_CANDIDATE.lastIndex = from;
    const found = HEADER_CANDIDATE.exec(buffer.toString("latin1", 0, window));
    // Without a header in sight, the window goes, but for its end: a header may start there.
    // `from` is 1 after a header was refused: its first byte goes, so that cutting moves on.
    const consumed = found ? found.index : Math.max(from, window - LOOKBACK);
    if (found) state = { kind: "header" };
    // JSON where a header should be: most likely a host writing one message per line.
    const hint = buffer[0] === 0x7b ? "; newline-delimited JSON needs --framing ndjson (or no --framing)" : "";
    const skipped = entering
      ? `input that is not a Content-Length frame skipped up to the next header (it starts ${preview(buffer)})${hint}`
      : undefined;
    if (consumed === 0 && skipped === undefined) return found ? { consumed } : undefined;
    return skipped === undefined ? { consumed } : { consumed, skipped };
  };

  const header = (buffer: Buffer) => {
    const lineEnd = buffer.indexOf(CRLF);
    const firstLine = buffer.toString("latin1", 0, Math.min(lineEnd < 0 ? buffer.length : lineEnd, MAX_HEADER_BYTES));
    if (!HEADER_PREFIX.test(firstLine)) return junk(buffer, 1);
    const headerEnd = buffer.indexOf(HEADER_END);
    if (headerEnd < 0) return buffer.length > MAX_HEADER_BYTES ? junk(buffer, 1) : undefined;
    const block = buffer.toString("latin1", 0, headerEnd);
    // matchAll starts where the shared expression's last search ended.
    HEADER_CANDIDATE.lastIndex = 0;
    const starts = [...block.matchAll(HEADER_CANDIDATE)].map((match) => match.index);
    const last = starts.at(-1);
    if (last === undefined) return junk(buffer, 1);
    // Two lengths, or one inside a line: the frame's own header is the last (it ends at the blank line).
    if (last > 0 && (starts.length > 1 || block.slice(last - 2, last) !== "\r\n")) return junk(buffer, last);
    const lines = block.split("\r\n");
    const lengths = lines.map((line) => CONTENT_LENGTH.exec(line)?.[1]).filter((value) => value !== undefined);
    if (lengths.length !== 1 || !lines.every((line) => HEADER_FIELD.test(line))) return junk(buffer, 1);
    const length = Number(lengths[0]);
    const start = headerEnd + HEADER_END.length;
    if (length > maxMessageBytes) {
      state = { kind: "dropping", remaining: length };
      return { consumed: start, error: `message of ${lengths[0]} bytes exceeds the limit of ${maxMessageBytes}` };
    }
    state = { kind: "body", length, scanned: 0 };
    return { consumed: start };
  };

  const body = (buffer: Buffer, length: number, scanned: number) => {
    const next = headerLineIn(buffer, scanned, length);
    if (next >= 0) {
      state = { kind: "header" };
      return { consumed: next, body: buffer.subarray(0, next) };
    }
    if (buffer.length < length) {
      state = { kind: "body", length, scanned: buffer.length };
      return undefined;
    }
    state = { kind: "header" };
    const end = bodyEnd(buffer.subarray(0, length));
    return { consumed: end, body: buffer.subarray(0, end) };
  };

  const dropping = (buffer: Buffer, remaining: number) => {
    const next = headerLineIn(buffer, 0, remaining);
    if (next >= 0 || remaining <= buffer.length) {
      state = { kind: "header" };
      return { consumed: next >= 0 ? next : remaining };
    }
    const consumed = Math.max(0, buffer.length - LOOKBACK);
    state = { kind: "dropping", remaining: remaining - consumed };
    return consumed > 0 ? { consumed } : undefined;
  };

  return {
    next(buffer) {
      switch (state.kind) {
        case "header":
          return buffer.length === 0 ? undefined : header(buffer);
        case "junk":
          return buffer.length === 0 ? undefined : junk(buffer, 0);
        case "body":
          return body(buffer, state.length, state.scanned);
        case "dropping":
          return dropping(buffer, state.remaining);
      }
    },
    finish(buffer) {
      // A body cut short by the end of input is still answered (its id may be readable).
      const cut = state.kind === "body" && buffer.length > 0;
      state = { kind: "header" };
      if (buffer.length === 0) return undefined;
      return cut ? { consumed: buffer.length, body: buffer } : { consumed: buffer.length };
    },
  };
}

/**
 * Where a `Content-Length` header line starts in `bytes` before offset `before`, searching the
 * CR LFs from `from` on; -1 if none.
 */
function headerLineIn(bytes: Buffer, from: number, before: number): number {
  const limit = Math.min(bytes.length, before + LOOKBACK);
  // A CR at the end of what was searched may have its LF now.
  for (let crlf = bytes.indexOf(CRLF, Math.max(0, from - 1)); crlf >= 0 && crlf < limit; ) {
    const lineStart = Math.max(0, crlf - LOOKBACK);
    const match = HEADER_LINE_END.exec(bytes.toString("latin1", lineStart, crlf));
    if (match) {
      const at = lineStart + match.index;
      return at < before ? at : -1;
    }
    crlf = bytes.indexOf(CRLF, crlf + 1);
  }
  return -1;
}

/**
 * The end of a complete body. A length a few bytes too long takes in the start of the next
 * header, too short for its line to be recognised: what follows the JSON's last bracket, if
 * not blank, is left for the header.
 */
function bodyEnd(body: Buffer): number {
  const close = Math.max(body.lastIndexOf(0x7d), body.lastIndexOf(0x5d));
  if (close < 0 || body.length - close > LOOKBACK) return body.length;
  const tail = body.toString("latin1", close + 1);
  return tail.trim() === "" ? body.length : close + 1;
}
