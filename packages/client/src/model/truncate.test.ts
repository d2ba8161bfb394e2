import type { ContentItem } from "@codemode/protocol";
import { describe, expect, it } from "vitest";
import { countLines, estimateTokens, truncateItems, truncateMiddle, utf8Length } from "./truncate.js";

const text = (value: string): ContentItem => ({ type: "text", text: value });
const image = (url: string): ContentItem => ({ type: "image", imageUrl: url, detail: "high" });
const warning = (tokens: number, lines: number) =>
  `Warning: truncated output (original token count: ${tokens})\nTotal output lines: ${lines}\n\n`;

describe("token estimate", () => {
  it.each([
    ["", 0],
    ["a", 1],
    ["abcd", 1],
    ["abcde", 2],
    ["é", 1], // 2 bytes
    ["中文", 2], // 6 bytes
    ["中文测试", 3], // 12 bytes
    ["😀", 1], // 4 bytes
    ["😀a", 2],
  ])("tokens of %j are ceil(utf8 bytes / 4) = %i", (value, tokens) => {
    expect(estimateTokens(value)).toBe(tokens);
  });

  it("counts UTF-8 bytes, not UTF-16 units", () => {
    expect(utf8Length("aé€😀")).toBe(1 + 2 + 3 + 4);
    expect(utf8Length("aé€😀")).toBe(Buffer.byteLength("aé€😀", "utf8"));
  });

  it("counts a lone surrogate as the 3 bytes of U+FFFD, as an encoder writes it", () => {
    expect(utf8Length("\uD800")).toBe(3);
    expect(utf8Length("\uD800")).toBe(Buffer.byteLength("\uD800", "utf8"));
  });
});

describe("line count", () => {
  it.each([
    ["", 0],
    ["a", 1],
    ["a\n", 1],
    ["a\nb", 2],
    ["a\nb\n", 2],
    ["\n", 1],
    ["\n\n", 2],
    ["a\r\nb", 2],
  ])("%j has %i lines", (value, lines) => {
    expect(countLines(value)).toBe(lines);
  });
});

describe("middle truncation", () => {
  it("returns text within the budget unchanged", () => {
    expect(truncateMiddle("short output", 100)).toBe("short output");
  });

  it("returns text of exactly the budget unchanged", () => {
    expect(truncateMiddle("abcdefgh", 2)).toBe("abcdefgh");
  });

  it("keeps half the budget from each end one byte over it", () => {
    expect(truncateMiddle("abcdefghi", 2)).toBe("abcd…1 tokens truncated…fghi");
  });

  it("gives the head the smaller half of an odd budget", () => {
    // budget 4 bytes: head 2, tail 2
    expect(truncateMiddle("abcdefghij", 1)).toBe("ab…2 tokens truncated…ij");
  });

  it("is the marker alone with a zero budget, counting the whole text", () => {
    expect(truncateMiddle("abcdef", 0)).toBe("…2 tokens truncated…");
  });

  it("leaves empty text empty, even with a zero budget", () => {
    expect(truncateMiddle("", 0)).toBe("");
  });

  it("does not split a multi-byte char at either cut", () => {
    // "a€b€c": 9 bytes, budget 4 → head keeps bytes 0..2, tail bytes 7..9; each € straddles a cut
    expect(truncateMiddle("a€b€c", 1)).toBe("a…2 tokens truncated…c");
  });

  it("keeps whole chars that end within the head and start within the tail", () => {
    // 3-byte chars, budget 12 → 6 bytes each side
    expect(truncateMiddle("一二三四五六七八九十", 3)).toBe("一二…5 tokens truncated…九十");
  });

  it("never splits a surrogate pair", () => {
    expect(truncateMiddle("😀😀😀😀😀", 2)).toBe("😀…3 tokens truncated…😀");
    expect(truncateMiddle("😀😀😀😀😀", 1)).toBe("…4 tokens truncated…");
  });

  it("reports the tokens over budget, not the bytes the char cuts dropped", () => {
    const input = "😀😀😀😀😀😀😀😀😀😀\nsecond line with text\n";
    expect(truncateMiddle(input, 8)).toBe("😀😀😀😀…8 tokens truncated… line with text\n");
  });
});

describe("truncation of all-text output", () => {
  it("keeps items unchanged within the budget", () => {
    const items = [text("one"), text(""), text("three")];
    expect(truncateItems(items, 10)).toEqual(items);
  });

  it("keeps items unchanged when joined with newlines they are exactly the budget", () => {
    // "abcd\nefg" = 8 bytes = 2 tokens
    const items = [text("abcd"), text("efg")];
    expect(truncateItems(items, 2)).toEqual(items);
  });

  it("merges items over the budget into one warning item, joined with newlines", () => {
    // "abcd\nefgh" = 9 bytes: 3 tokens, 2 lines
    expect(truncateItems([text("abcd"), text("efgh")], 2)).toEqual([
      text(`${warning(3, 2)}abcd…1 tokens truncated…efgh`),
    ]);
  });

  it("joins empty items too, each adding a newline", () => {
    // "\n\nxxxxxxxxx" = 11 bytes: 3 tokens, 3 lines
    expect(truncateItems([text(""), text(""), text("xxxxxxxxx")], 2)).toEqual([
      text(`${warning(3, 3)}\n\nxx…1 tokens truncated…xxxx`),
    ]);
  });

  it("cuts on UTF-8 boundaries in the merged text", () => {
    // "€€\n€€" = 13 bytes, budget 8: head "€" (3 ≤ 4), tail from byte 9: "€"
    expect(truncateItems([text("€€"), text("€€")], 2)).toEqual([text(`${warning(4, 2)}€…2 tokens truncated…€`)]);
  });

  it("with a zero budget leaves only the warning and the marker", () => {
    expect(truncateItems([text("abc")], 0)).toEqual([text(`${warning(1, 1)}…1 tokens truncated…`)]);
  });

  it("keeps no output as no output", () => {
    expect(truncateItems([], 0)).toEqual([]);
    expect(truncateItems([text("")], 0)).toEqual([text("")]);
  });

  it("keeps 4 × max tokens bytes of a long output, half from each end", () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `line ${i}`);
    const [only, ...rest] = truncateItems([text(lines.join("\n"))], 100);
    expect(rest).toEqual([]);
    const body = only?.type === "text" ? only.text : "";
    const joinedBytes = utf8Length(lines.join("\n"));
    expect(body.startsWith(warning(Math.ceil(joinedBytes / 4), 5000))).toBe(true);
    const kept = body.slice(warning(Math.ceil(joinedBytes / 4), 5000).length).split(/…\d+ tokens truncated…/);
    expect(kept.map(utf8Length)).toEqual([200, 200]);
    expect(kept[0]?.startsWith("line 0\nline 1\n")).toBe(true);
    expect(kept[1]?.endsWith("line 4998\nline 4999")).toBe(true);
  });
});

describe("truncation of output with images", () => {
  it("keeps texts that fit and every image, and counts the texts dropped after the budget", () => {
    const items = [text("abcd"), image("data:one"), text("efgh"), text("ijkl"), image("data:two")];
    expect(truncateItems(items, 2)).toEqual([
      text("abcd"),
      image("data:one"),
      text("efgh"),
      image("data:two"),
      text("[omitted 1 text items ...]"),
    ]);
  });

  it("cuts the first text that does not fit in the middle, with the remaining budget", () => {
    const items = [image("data:a"), text("abcdefghij"), text("z")];
    expect(truncateItems(items, 2)).toEqual([
      image("data:a"),
      text("abcd…1 tokens truncated…ghij"),
      text("[omitted 1 text items ...]"),
    ]);
  });

  it("pays for texts in whole tokens, item by item", () => {
    // "a" costs 1 token of the 2, leaving 1 for "bcdefg" (2 tokens) → cut to 4 bytes
    const items = [text("a"), image("data:a"), text("bcdefg")];
    expect(truncateItems(items, 2)).toEqual([text("a"), image("data:a"), text("bc…1 tokens truncated…fg")]);
  });

  it("keeps a text of exactly the remaining budget whole", () => {
    const items = [text("abcd"), image("data:a"), text("efgh")];
    expect(truncateItems(items, 2)).toEqual(items);
  });

  it("cuts a text with images on UTF-8 boundaries", () => {
    expect(truncateItems([image("data:a"), text("€€€€")], 2)).toEqual([
      image("data:a"),
      text("€…1 tokens truncated…€"),
    ]);
  });

  it("keeps images with a zero budget and counts every text, empty ones included", () => {
    expect(truncateItems([text("a"), image("data:a"), text("")], 0)).toEqual([
      image("data:a"),
      text("[omitted 2 text items ...]"),
    ]);
  });

  it("keeps images only as they are", () => {
    const items = [image("data:a"), image("data:b")];
    expect(truncateItems(items, 0)).toEqual(items);
  });
});
