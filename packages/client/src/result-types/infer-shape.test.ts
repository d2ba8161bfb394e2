import { describe, expect, it } from "vitest";
import { schemaToTypeScript } from "../model/schema-to-ts.js";
import { LEARNED_TYPE_LIMITS, merge, type Shape, schemaOf, shapeOf } from "./infer-shape.js";

/** The TypeScript type learned from `results`, in order. */
function learned(...results: unknown[]): string {
  const shape = results
    .map(shapeOf)
    .reduce<Shape | undefined>((a, b) => (a === undefined ? b : merge(a, b)), undefined);
  return schemaToTypeScript(schemaOf(shape as Shape));
}

/** A value nested `depth` levels deep: `{ next: { next: ... } }`. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { next: value };
  return value;
}

describe("learned result types", () => {
  it("reads JSON types, array items and object properties", () => {
    expect(learned({ id: 1, name: "a", tags: ["x"], done: false, parent: null })).toBe(
      "{ done: boolean; id: number; name: string; parent: null; tags: Array<string>; }",
    );
    expect(learned([])).toBe("Array<unknown>");
  });

  it("a property missing from some results is optional; different types are a union", () => {
    expect(learned({ id: 1, note: "x" }, { id: "2" })).toBe("{ id: number | string; note?: string; }");
    expect(learned([{ a: 1 }, { b: 2 }])).toBe("Array<{ a?: number; b?: number; }>");
  });

  it("is stable: the same shapes again change nothing", () => {
    const once = learned({ id: 1, items: [{ n: 1 }] });
    expect(learned({ id: 1, items: [{ n: 1 }] }, { id: 2, items: [] }, { id: 3, items: [{ n: 4 }, { n: 5 }] })).toBe(
      once,
    );
  });

  it("a deep result is cut at the depth limit", () => {
    const type = learned(nested(10_000));
    expect(type).toBe("{ next: { next: { next: { next: unknown; }; }; }; }");
    expect(type.split("next").length - 1).toBe(LEARNED_TYPE_LIMITS.MAX_DEPTH);
  });

  it("a wide object keeps its first properties and an index signature for the rest", () => {
    const wide = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));
    const type = learned(wide);
    expect(type.match(/k\d+: number;/g)).toHaveLength(LEARNED_TYPE_LIMITS.MAX_PROPERTIES);
    expect(type).toContain("[key: string]: unknown;");
  });

  it("objects with ever new keys stay within the property limit when merged", () => {
    const results = Array.from({ length: 50 }, (_, i) => ({ [`key${i}`]: i }));
    const type = learned(...results);
    expect(type.match(/key\d+\?: number;/g)).toHaveLength(LEARNED_TYPE_LIMITS.MAX_PROPERTIES);
    expect(type).toContain("[key: string]: unknown;");
  });

  it("a union wider than the limit is unknown", () => {
    expect(learned(1, "a", true, null)).toBe("number | string | boolean | null");
    expect(learned(1, "a", true, null, [1])).toBe("unknown");
    expect(learned([1, "a", true, null, {}])).toBe("Array<unknown>");
  });

  it("a huge result is read within the node budget", () => {
    const huge = Array.from({ length: 100_000 }, () => ({ a: [{ b: [1, 2, 3] }], c: "x" }));
    const started = performance.now();
    expect(learned(huge)).toBe("Array<{ a: Array<{ b: unknown; }>; c: string; }>");
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("a __proto__ key stays a key; what is not JSON is unknown", () => {
    expect(learned(JSON.parse('{"__proto__": {"x": 1}}'))).toBe("{ __proto__: { x: number; }; }");
    expect(learned({ at: new Date(0), f: () => 1 })).toBe("{ at: unknown; f: unknown; }");
  });
});
