// How `codemode run` shows an observation: the rendered items, as text, one after the other.
import type { ContentItem } from "@codemode/client";

/**
 * A rendered observation (its header item, then its output) as a terminal shows it: an image
 * becomes a one-line placeholder, and an observation without output has no empty `Output:` heading.
 */
export function printable(items: ContentItem[]): string {
  const [header] = items;
  if (items.length === 1 && header?.type === "text") return header.text.replace(/Output:\n$/, "");
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
