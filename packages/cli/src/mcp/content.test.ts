import { describe, expect, it } from "vitest";
import { toMcpContent } from "./content.js";

describe("content items as MCP content blocks", () => {
  it("keeps text, and turns a base64 data URL into an image block", () => {
    expect(
      toMcpContent([
        { type: "text", text: "hi" },
        { type: "image", imageUrl: "data:image/png;base64,iVBOR", detail: "high" },
      ]),
    ).toEqual([
      { type: "text", text: "hi" },
      { type: "image", data: "iVBOR", mimeType: "image/png" },
    ]);
  });

  it("encodes a data URL that is not base64, and carries a detail other than the default", () => {
    expect(toMcpContent([{ type: "image", imageUrl: "DATA:image/svg+xml,%3Csvg%2F%3E", detail: "low" }])).toEqual([
      {
        type: "image",
        data: Buffer.from("<svg/>").toString("base64"),
        mimeType: "image/svg+xml",
        _meta: { "codex/imageDetail": "low" },
      },
    ]);
  });

  it("names what is not a data URL instead of sending it as an image", () => {
    expect(toMcpContent([{ type: "image", imageUrl: "data:nocomma", detail: "high" }])).toEqual([
      { type: "text", text: "[image: data:nocomma]" },
    ]);
  });
});
