// How `codemode run` shows an observation: the rendered items, as text, one after the other.
import type { ContentItem } from "@codemode/client";

/** The items as a terminal shows them; an image becomes a one-line placeholder. */
export function printable(items: ContentItem[]): string {
  return items
    .map((item) =>
      item.type === "text" ? item.text : `[image, detail ${item.detail}, ${imageSummary(item.imageUrl)}]`,
    )
    .map((text) => (text.endsWith("\n") ? text : `${text}\n`))
    .join("");
}

function imageSummary(url: string): string {
  const comma = url.indexOf(",");
  const kind = comma > 0 ? url.slice(0, comma) : url.slice(0, 40);
  return `${kind}, ${url.length} characters`;
}
