// JSON values as they cross the wire. They are checked in place and passed on as they are,
// never rebuilt: a rebuilt object would lose an own `__proto__` key (assigning that key sets
// the prototype instead), and a walk without recursion takes any nesting depth.
import { z } from "zod";

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

const isPlainObject = (value: object): boolean => {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

/** Whether `value` is JSON data: strings, finite numbers, booleans, null, plain objects, arrays. */
export function isJsonValue(value: unknown): value is JsonValue {
  const pending: unknown[] = [value];
  const seen = new Set<object>();
  while (pending.length > 0) {
    const next = pending.pop();
    if (next === null || typeof next === "string" || typeof next === "boolean") continue;
    if (typeof next === "number") {
      if (!Number.isFinite(next)) return false;
      continue;
    }
    if (typeof next !== "object") return false;
    // A value met twice is checked once (and a cycle, which JSON.stringify refuses later, ends).
    if (seen.has(next)) continue;
    seen.add(next);
    if (!Array.isArray(next) && !isPlainObject(next)) return false;
    for (const item of Array.isArray(next) ? next : Object.values(next)) pending.push(item);
  }
  return true;
}

export const JsonValue = z.custom<JsonValue>(isJsonValue, "expected a JSON value");

export const JsonObject = z.custom<JsonObject>(
  (value) => typeof value === "object" && value !== null && !Array.isArray(value) && isJsonValue(value),
  "expected a JSON object",
);
