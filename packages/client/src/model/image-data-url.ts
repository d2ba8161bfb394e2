// The parts of a base64 `data:` URL, for model APIs that take images as media type and data.

/** `{ mediaType, data }` of a `data:{type};base64,{data}` URL; undefined for any other URL. */
export function parseImageDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return match ? { mediaType: match[1] as string, data: match[2] as string } : undefined;
}
