import { MAX_MESSAGE_DEPTH } from "@codemode/protocol";
import { describe, expect, it } from "vitest";
import { classifyBody, depthOver, readableId } from "./classify.js";

const deep = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

describe("the id of a damaged message", () => {
  it.each([
    ['{"jsonrpc":"2.0","id":3,"method":"cell/execute","params":{"source":"text(', 3],
    ['{"id" : "abc\\"d", "method":', 'abc"d'],
    ['{"params":{"id":9},"id":-2.5e1}', -25],
    ['{"jsonrpc":"2.0","id":12', undefined],
    ['{"id":"abc', undefined],
    ['{"params":{"id":9}', undefined],
    ['{"id":null,', undefined],
    ['{"id":tru', undefined],
    ['[{"id":1}', undefined],
  ])("%s → %s", (text, id) => {
    expect(readableId(text)).toBe(id);
  });
});

describe("nesting depth", () => {
  it("counts objects and arrays, the value itself being level 1", () => {
    expect(depthOver(JSON.parse(deep(3)), 3)).toBe(false);
    expect(depthOver(JSON.parse(deep(4)), 3)).toBe(true);
    expect(depthOver({ a: [{ b: "x" }] }, 3)).toBe(false);
    expect(depthOver({ a: [{ b: {} }] }, 3)).toBe(true);
  });

  it("a request past the limit is refused with its id; an answer past it fails its request", () => {
    const request = `{"jsonrpc":"2.0","id":7,"method":"m","params":{"x":${deep(MAX_MESSAGE_DEPTH)}}}`;
    expect(classifyBody(request)).toEqual({
      invalid: {
        jsonrpc: "2.0",
        id: 7,
        error: { code: -32600, message: `message nests deeper than ${MAX_MESSAGE_DEPTH} levels` },
      },
    });
    const answer = `{"jsonrpc":"2.0","id":0,"result":${deep(MAX_MESSAGE_DEPTH)}}`;
    expect(classifyBody(answer)).toEqual({
      message: {
        jsonrpc: "2.0",
        id: 0,
        error: { code: -32603, message: `the peer's answer nests deeper than ${MAX_MESSAGE_DEPTH} levels` },
      },
    });
  });

  it("broken JSON is a parse error with the id it still shows", () => {
    expect(classifyBody('{"jsonrpc":"2.0","id":"a1","method":"m","params":{')).toMatchObject({
      invalid: { id: "a1", error: { code: -32700 } },
    });
  });
});
