// Content items a cell produces (text and images), as the model will see them.
import { z } from "zod";

export const IMAGE_DETAILS = ["auto", "low", "high", "original"] as const;
export const DEFAULT_IMAGE_DETAIL = "high";

export const ImageDetail = z.enum(IMAGE_DETAILS);
export type ImageDetail = z.infer<typeof ImageDetail>;

export const TextItem = z.object({ type: z.literal("text"), text: z.string() });
export type TextItem = z.infer<typeof TextItem>;

export const ImageItem = z.object({
  type: z.literal("image"),
  imageUrl: z.string(),
  detail: ImageDetail.default(DEFAULT_IMAGE_DETAIL),
});
export type ImageItem = z.infer<typeof ImageItem>;

export const ContentItem = z.discriminatedUnion("type", [TextItem, ImageItem]);
export type ContentItem = z.infer<typeof ContentItem>;
