// The token budget of what the model reads: a byte-based estimate and middle truncation.
import type { ContentItem } from "@codemode/protocol";

/** Budget of one `exec` or `wait` result when the model sets none. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 10_000;

// A fixed estimate, not a tokenizer: cheap, deterministic and conservative for English text.
const BYTES_PER_TOKEN = 4;

/** Tokens of `text` ≈ ceil(UTF-8 bytes / 4). */
export function estimateTokens(text: string): number {
  return tokensForBytes(utf8Length(text));
}

/** UTF-8 bytes of `text`; a lone surrogate counts as U+FFFD (3 bytes), as an encoder writes it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) bytes += charBytes(char);
  return bytes;
}

/**
 * Cuts `items` to `maxTokens` (bytes budget = 4 × maxTokens).
 *
 * All text: the texts are joined with "\n" (one "\n" between consecutive items, empty items
 * included). If the joined text fits the byte budget the items come back unchanged; otherwise
 * they become one text item:
 *   `Warning: truncated output (original token count: {N})\nTotal output lines: {L}\n\n` + middle
 * where N = estimateTokens(joined), L = lines of joined (see {@link countLines}) and middle is
 * {@link truncateMiddle}(joined, maxTokens). The warning itself is not counted in the budget.
 *
 * With images: items are walked in order with a token budget. Images are kept and cost nothing.
 * A text that fits (estimateTokens ≤ remaining) is kept and paid for; the first text that does
 * not fit is cut with truncateMiddle(text, remaining) and the budget drops to 0; every later
 * text is dropped and counted, and `[omitted {n} text items ...]` is appended at the end.
 */
export function truncateItems(items: readonly ContentItem[], maxTokens: number): ContentItem[] {
  const budget = Math.max(0, Math.floor(maxTokens));
  const texts: string[] = [];
  for (const item of items) if (item.type === "text") texts.push(item.text);
  if (texts.length === items.length) return truncateAllText(items, texts, budget);
  return truncateMixed(items, budget);
}

function truncateAllText(items: readonly ContentItem[], texts: string[], maxTokens: number): ContentItem[] {
  const joined = texts.join("\n");
  if (utf8Length(joined) <= maxTokens * BYTES_PER_TOKEN) return [...items];
  const warning =
    `Warning: truncated output (original token count: ${estimateTokens(joined)})\n` +
    `Total output lines: ${countLines(joined)}\n\n`;
  return [{ type: "text", text: warning + truncateMiddle(joined, maxTokens) }];
}

function truncateMixed(items: readonly ContentItem[], maxTokens: number): ContentItem[] {
  const out: ContentItem[] = [];
  let remaining = maxTokens;
  let omitted = 0;
  for (const item of items) {
    if (item.type === "image") {
      out.push(item);
    } else if (remaining === 0) {
      omitted++;
    } else {
      const cost = estimateTokens(item.text);
      out.push(cost <= remaining ? item : { type: "text", text: truncateMiddle(item.text, remaining) });
      remaining = cost <= remaining ? remaining - cost : 0;
    }
  }
  if (omitted > 0) out.push({ type: "text", text: `[omitted ${omitted} text items ...]` });
  return out;
}

/**
 * Keeps the first and last halves of a `4 × maxTokens` byte budget (the first half rounds down)
 * and puts `…{k} tokens truncated…` between them.
 *
 * Cuts fall on character boundaries: the head keeps the whole chars that end within its half,
 * the tail the whole chars that start within its half, so the kept text never exceeds the budget.
 * k = ceil((bytes of text − budget bytes) / 4): the estimate of what exceeds the budget, which can
 * be a little less than what the boundary cuts dropped. With a zero budget the result is the
 * marker alone, k being the estimate of the whole text.
 */
export function truncateMiddle(text: string, maxTokens: number): string {
  const total = utf8Length(text);
  const budget = maxTokens * BYTES_PER_TOKEN;
  if (text === "" || (budget > 0 && total <= budget)) return text;
  const marker = `…${tokensForBytes(total - budget)} tokens truncated…`;
  if (budget === 0) return marker;
  const head = Math.floor(budget / 2);
  const { headEnd, tailStart } = cutPoints(text, head, total - (budget - head));
  return text.slice(0, headEnd) + marker + text.slice(tailStart);
}

/**
 * Lines of `text` as an editor counts them: "\n" ends a line, a final line without "\n" counts,
 * a trailing "\n" does not start another one; "" has 0 lines ("a\n" → 1, "a\nb" → 2, "\n\n" → 2).
 */
export function countLines(text: string): number {
  if (text === "") return 0;
  let newlines = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) newlines++;
  return text.endsWith("\n") ? newlines : newlines + 1;
}

/** String indices (UTF-16) where the head ends and the tail starts, given byte limits. */
function cutPoints(text: string, headBytes: number, tailFromByte: number): { headEnd: number; tailStart: number } {
  let byte = 0;
  let index = 0;
  let headEnd = 0;
  let tailStart = text.length;
  for (const char of text) {
    const end = byte + charBytes(char);
    if (end <= headBytes) headEnd = index + char.length;
    else if (byte >= tailFromByte) {
      tailStart = index;
      break;
    }
    byte = end;
    index += char.length;
  }
  return { headEnd, tailStart: Math.max(tailStart, headEnd) };
}

function charBytes(char: string): number {
  const code = char.codePointAt(0) ?? 0;
  if (code < 0x80) return 1;
  if (code < 0x800) return 2;
  return code < 0x10000 ? 3 : 4;
}

function tokensForBytes(bytes: number): number {
  return Math.ceil(bytes / BYTES_PER_TOKEN);
}
