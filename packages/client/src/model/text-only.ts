// Content for model APIs whose tool results carry text only: an image becomes a line saying so.
import type { ContentItem } from "@codemode/protocol";

/** Shown in place of an image the API cannot return from a tool. */
export const IMAGE_NOT_SHOWN = "[image not shown: this API's tool results carry text only]";

export function textOnly(items: readonly ContentItem[]): { type: "text"; text: string }[] {
  return items.map((item) => ({ type: "text", text: item.type === "text" ? item.text : IMAGE_NOT_SHOWN }));
}
