// What the function tools' argument parsers share: how a count is checked, how JSON text is read,
// and how a zod failure becomes the one message the model reads.
import { z } from "zod";

/** A non-negative safe integer; `null` counts as absent (models that fill every field send null). */
export const count = (field: string) =>
  z
    .number({ error: `\`${field}\` must be a number` })
    .int({ error: `\`${field}\` must be a non-negative safe integer` })
    .min(0, { error: `\`${field}\` must be a non-negative safe integer` })
    .max(Number.MAX_SAFE_INTEGER, { error: `\`${field}\` must be a non-negative safe integer` })
    .nullish();

/** The error for an object with unknown keys, or for no object at all, naming the accepted fields. */
export function objectError(tool: string, accepted: string) {
  return (issue: { code: string; keys?: string[] }) =>
    issue.code === "unrecognized_keys" && issue.keys !== undefined
      ? `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((key) => `\`${key}\``).join(", ")}; ${tool} accepts ${accepted}`
      : `${tool} arguments must be a JSON object`;
}

/**
 * Validates a tool's arguments, given as an object or as the JSON text a function call carries.
 * Throws an `Error` whose message is `prefix` followed by every problem.
 */
export function parseArguments<T extends z.ZodType>(schema: T, args: unknown, prefix: string): z.infer<T> {
  let value = args;
  if (typeof args === "string") {
    try {
      value = JSON.parse(args);
    } catch (error) {
      throw new Error(`${prefix}not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(prefix + result.error.issues.map((issue) => issue.message).join("; "));
  return result.data;
}
