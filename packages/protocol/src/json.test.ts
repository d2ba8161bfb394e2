import { describe, expect, it } from "vitest";
import { JsonObject, JsonValue } from "./json.js";

describe("JSON values", () => {
  it("accepts JSON data and refuses what JSON cannot carry", () => {
    for (const value of [null, true, 0, -1.5, "", "x", [], {}, [1, { a: [null] }], Object.create(null)]) {
      expect(JsonValue.safeParse(value).success, JSON.stringify(value)).toBe(true);
    }
    for (const value of [
      undefined,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      1n,
      () => {},
      new Date(0),
      new Map(),
      [1, undefined],
    ]) {
      expect(JsonValue.safeParse(value).success, String(value)).toBe(false);
    }
  });

  it("a JSON object is an object, not an array nor a scalar", () => {
    expect(JsonObject.safeParse({ a: 1 }).success).toBe(true);
    for (const value of [[], "a", 1, null]) expect(JsonObject.safeParse(value).success).toBe(false);
  });

  it("passes values through unchanged, own __proto__ keys included", () => {
    const value = JSON.parse('{"__proto__":{"polluted":true},"nested":{"__proto__":[1]}}') as unknown;
    const parsed = JsonObject.parse(value);
    expect(parsed).toBe(value);
    expect(Object.keys(parsed)).toEqual(["__proto__", "nested"]);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
  });

  it("takes any nesting depth and repeated or cyclic references without overflowing", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(JsonValue.safeParse(deep).success).toBe(true);
    const shared = { a: 1 };
    expect(JsonValue.safeParse({ x: shared, y: shared }).success).toBe(true);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(JsonValue.safeParse(cyclic).success).toBe(true);
  });
});
