// Newline-delimited JSON (one message per line, as MCP's stdio transport). A damaged line
// costs that line only: the next newline is always a fresh start.
import type { Splitter } from "./splitter.js";

const NEWLINE = 10;

export function lineSplitter(maxMessageBytes: number): Splitter {
  let skipping = false;
  // How far the buffer is known to hold no newline: a long line is not searched again and again.
  let searched = 0;
  return {
    next(buffer) {
      const end = buffer.indexOf(NEWLINE, searched);
      searched = end < 0 ? buffer.length : 0;
      if (skipping) {
        if (end < 0) {
          searched = 0;
          return buffer.length > 0 ? { consumed: buffer.length } : undefined;
        }
        skipping = false;
        return { consumed: end + 1 };
      }
      if (end < 0) {
        if (buffer.length <= maxMessageBytes) return undefined;
        skipping = true;
        searched = 0;
        return { consumed: buffer.length, error: `message exceeds the limit of ${maxMessageBytes} bytes` };
      }
      return { consumed: end + 1, body: buffer.subarray(0, end) };
    },
    finish(buffer) {
      searched = 0;
      if (skipping || buffer.length === 0) return buffer.length > 0 ? { consumed: buffer.length } : undefined;
      return { consumed: buffer.length, body: buffer };
    },
  };
}
