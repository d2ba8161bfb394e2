// The model-facing layer's content items as MCP content blocks: text as text, a `data:` URL image
// as an image block (base64 data and its MIME type).
import type { ContentItem } from "@codemode/client";
import type { ContentBlock } from "@modelcontextprotocol/sdk/types.js";

/** Where a detail other than the default travels on an image block (SPEC §4 reads the same key). */
const IMAGE_DETAIL_META = "codex/imageDetail";

export function toMcpContent(items: ContentItem[]): ContentBlock[] {
  return items.map((item) => {
    if (item.type === "text") return { type: "text", text: item.text };
    const image = parseDataUrl(item.imageUrl);
    if (image === undefined) return { type: "text", text: `[image: ${item.imageUrl.slice(0, 60)}]` };
    return item.detail === "high"
      ? { type: "image", ...image }
      : { type: "image", ...image, _meta: { [IMAGE_DETAIL_META]: item.detail } };
  });
}

/** `data:[<mime>][;base64],<data>` → base64 data and MIME type; undefined if it is no data URL. */
function parseDataUrl(url: string): { data: string; mimeType: string } | undefined {
  const match = /^data:([^,]*?)(;base64)?,(.*)$/is.exec(url);
  if (!match) return undefined;
  const [, mime = "", base64, payload = ""] = match;
  const mimeType = mime.split(";")[0] || "application/octet-stream";
  if (base64) return { data: payload, mimeType };
  let bytes: Buffer;
  try {
    bytes = Buffer.from(decodeURIComponent(payload), "utf8");
  } catch {
    bytes = Buffer.from(payload, "utf8");
  }
  return { data: bytes.toString("base64"), mimeType };
}
