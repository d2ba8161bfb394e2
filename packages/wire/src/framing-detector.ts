// Without `--framing`, the framing is read off the first bytes: `{` or `[` starts
// newline-delimited JSON, a header line (`Name: value`) starts Content-Length framing. Input
// that starts as neither is skipped line by line, with one log line saying so.
import type { Framing } from "@codemode/protocol";
import { preview, type Splitter } from "./splitter.js";

const MAX_FIRST_LINE_BYTES = 8 * 1024;
const BLANK = new Set([0x20, 0x09, 0x0d, 0x0a]);
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** A header name (an HTTP token), then a colon. */
const HEADER_START = /^[\w!#$%&'*+.^`|~-]+[ \t]*:/;
const TOKEN_SO_FAR = /^[\w!#$%&'*+.^`|~-]*$/;

/** Where the first significant byte is (blanks and a byte order mark are skipped). */
function firstSignificant(buffer: Buffer): number {
  let at = 0;
  for (;;) {
    if (buffer.subarray(at, at + UTF8_BOM.length).equals(UTF8_BOM)) at += UTF8_BOM.length;
    else if (at < buffer.length && BLANK.has(buffer[at] ?? 0)) at++;
    else return at;
  }
}

/**
 * A splitter that picks the framing from the first message, then hands every byte to the
 * splitter `make` returns for it; `detected` is told which it is.
 */
export function detectingSplitter(
  make: (framing: Framing) => Splitter,
  detected: (framing: Framing) => void,
): Splitter {
  let chosen: Splitter | undefined;
  let warned = false;

  const choose = (framing: Framing, consumed: number) => {
    chosen = make(framing);
    detected(framing);
    return { consumed };
  };

  const skipLine = (buffer: Buffer, start: number) => {
    const newline = buffer.indexOf(0x0a, start);
    const consumed = newline < 0 ? buffer.length : newline + 1;
    if (warned) return { consumed };
    warned = true;
    const skipped = `input is neither Content-Length framed nor newline-delimited JSON (it starts ${preview(buffer.subarray(start))}): skipped up to the next line`;
    return { consumed, skipped };
  };

  return {
    next(buffer) {
      if (chosen) return chosen.next(buffer);
      const start = firstSignificant(buffer);
      const rest = buffer.subarray(start);
      // The start of a byte order mark, or nothing yet.
      if (rest.length < UTF8_BOM.length && UTF8_BOM.subarray(0, rest.length).equals(rest)) {
        return start > 0 ? { consumed: start } : undefined;
      }
      const first = buffer[start];
      if (first === 0x7b || first === 0x5b) return choose("ndjson", start);
      const lineEnd = buffer.indexOf(0x0a, start);
      const line = buffer.toString("latin1", start, Math.min(lineEnd < 0 ? buffer.length : lineEnd, start + 256));
      if (HEADER_START.test(line)) return choose("content-length", start);
      // A header name still arriving.
      if (lineEnd < 0 && TOKEN_SO_FAR.test(line) && buffer.length - start < MAX_FIRST_LINE_BYTES) return undefined;
      return skipLine(buffer, start);
    },
    finish(buffer) {
      return chosen ? chosen.finish(buffer) : buffer.length > 0 ? { consumed: buffer.length } : undefined;
    },
  };
}
