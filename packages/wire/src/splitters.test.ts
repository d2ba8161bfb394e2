import { describe, expect, it } from "vitest";
import { contentLengthSplitter } from "./content-length-splitter.js";
import { detectingSplitter } from "./framing-detector.js";
import { lineSplitter } from "./line-splitter.js";
import { ReadBuffer } from "./read-buffer.js";
import type { Splitter } from "./splitter.js";

/** Feeds `input` in chunks of `size` bytes and returns the bodies and errors cut from it. */
function cut(splitter: Splitter, input: Buffer, size: number): string[] {
  const buffer = new ReadBuffer();
  const out: string[] = [];
  for (let offset = 0; offset < input.length; offset += size) {
    buffer.append(input.subarray(offset, offset + size));
    for (let piece = splitter.next(buffer.view); piece; piece = splitter.next(buffer.view)) {
      if (piece.error) out.push(`error: ${piece.error}`);
      if (piece.skipped) out.push(`skipped: ${piece.skipped.slice(0, 10)}`);
      if (piece.body) out.push(piece.body.toString("utf8"));
      buffer.consume(piece.consumed);
    }
  }
  return out;
}

const framed = (body: string) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe("ReadBuffer", () => {
  it("keeps the bytes appended, in order, across growth and compaction", () => {
    const buffer = new ReadBuffer();
    const expected: number[] = [];
    let next = 0;
    for (let round = 0; round < 200; round++) {
      const chunk = Buffer.from(Array.from({ length: 1 + ((round * 7919) % 5000) }, () => next++ % 256));
      buffer.append(chunk);
      expected.push(...chunk);
      const drop = Math.min(expected.length, (round * 104729) % 6000);
      expect(buffer.view.subarray(0, drop).equals(Buffer.from(expected.slice(0, drop)))).toBe(true);
      buffer.consume(drop);
      expected.splice(0, drop);
      expect(buffer.view.equals(Buffer.from(expected))).toBe(true);
    }
  });

  it("holds a message far larger than its initial space", () => {
    const buffer = new ReadBuffer();
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    for (let offset = 0; offset < big.length; offset += 65_536) buffer.append(big.subarray(offset, offset + 65_536));
    expect(buffer.view.equals(big)).toBe(true);
    buffer.consume(big.length);
    expect(buffer.view.length).toBe(0);
  });
});

describe("splitters fed in chunks of every size", () => {
  const bodies = ['{"a":1}', '{"b":"é ü"}', "{}", `{"long":"${"x".repeat(10_000)}"}`];

  it.each([1, 2, 3, 7, 64, 4096, 1 << 20])("Content-Length framing, chunks of %i bytes", (size) => {
    const input = Buffer.from(bodies.map(framed).join(""));
    expect(cut(contentLengthSplitter(1 << 20), input, size)).toEqual(bodies);
  });

  it.each([1, 2, 3, 7, 64, 4096, 1 << 20])("newline framing, chunks of %i bytes", (size) => {
    const input = Buffer.from(bodies.map((body) => `${body}\n`).join(""));
    expect(cut(lineSplitter(1 << 20), input, size)).toEqual(bodies);
  });

  it("an oversized line is dropped with one error, and the next line still reads", () => {
    const input = Buffer.from(`${"y".repeat(5000)}\n{"after":true}\n`);
    expect(cut(lineSplitter(1000), input, 100)).toEqual([
      "error: message exceeds the limit of 1000 bytes",
      '{"after":true}',
    ]);
  });

  it("an oversized Content-Length body is skipped with one error, and the next message still reads", () => {
    const input = Buffer.from(`${framed("z".repeat(5000))}${framed('{"after":true}')}`);
    expect(cut(contentLengthSplitter(1000), input, 100)).toEqual([
      "error: message of 5000 bytes exceeds the limit of 1000",
      '{"after":true}',
    ]);
  });
});

describe("Content-Length framing resynchronises", () => {
  const body = '{"jsonrpc":"2.0","id":1,"method":"m","params":{"text":"éé"}}';
  const next = framed('{"next":true}');

  it.each([1, 7, 4096])("a length counted in characters costs that message only (chunks of %i)", (size) => {
    const input = Buffer.from(`Content-Length: ${body.length}\r\n\r\n${body}${next}`);
    const out = cut(contentLengthSplitter(1 << 20), input, size);
    expect(out.at(-1)).toBe('{"next":true}');
    expect(out.filter((piece) => piece === '{"next":true}')).toHaveLength(1);
  });

  it.each([1, 3, 30, 500])("a length %i bytes too long still gives the message and the next", (extra) => {
    const input = Buffer.from(`Content-Length: ${Buffer.byteLength(body) + extra}\r\n\r\n${body}${next}`);
    expect(cut(contentLengthSplitter(1 << 20), input, 5)).toEqual([body, '{"next":true}']);
  });

  it("an oversized length with a header inside what it claims is answered once, and the next message read", () => {
    const input = Buffer.from(`Content-Length: 5000\r\n\r\n{}${next}`);
    expect(cut(contentLengthSplitter(1000), input, 64)).toEqual([
      "error: message of 5000 bytes exceeds the limit of 1000",
      '{"next":true}',
    ]);
  });

  it("a header block with two lengths, or a length inside a line, is read from its last length", () => {
    for (const damage of ["Content-Length: 2\r\n", "xx", '{"a":1}\r\nX-Y: 1\r\n']) {
      const out = cut(contentLengthSplitter(1 << 20), Buffer.from(`${damage}${next}`), 3);
      expect(out).toEqual(["skipped: input that", '{"next":true}']);
    }
  });

  it("a body cut short by the end of input is still handed over", () => {
    const splitter = contentLengthSplitter(1 << 20);
    const input = Buffer.from('Content-Length: 50\r\n\r\n{"id":1');
    const header = splitter.next(input);
    expect(header?.consumed).toBe(22);
    const rest = input.subarray(header?.consumed);
    expect(splitter.next(rest)).toBeUndefined();
    expect(splitter.finish(rest)?.body?.toString()).toBe('{"id":1');
  });
});

describe("framing detection", () => {
  const detect = (input: string) => {
    let detected: string | undefined;
    const splitter = detectingSplitter(
      (framing) => (framing === "ndjson" ? lineSplitter(1 << 20) : contentLengthSplitter(1 << 20)),
      (framing) => {
        detected = framing;
      },
    );
    return { out: cut(splitter, Buffer.from(input), 2), detected: () => detected };
  };

  it("`{` after blanks and a byte order mark is newline-delimited JSON", () => {
    const { out, detected } = detect('\uFEFF \r\n{"a":1}\n');
    expect(out).toEqual(['{"a":1}']);
    expect(detected()).toBe("ndjson");
  });

  it("a header line is Content-Length framing", () => {
    const { out, detected } = detect(framed('{"a":1}'));
    expect(out).toEqual(['{"a":1}']);
    expect(detected()).toBe("content-length");
  });

  it("a line that is neither is skipped, once said, and detection goes on", () => {
    const { out, detected } = detect('hello there\nsecond junk line\n{"a":1}\n');
    expect(out).toEqual(["skipped: input is n", '{"a":1}']);
    expect(detected()).toBe("ndjson");
  });
});
