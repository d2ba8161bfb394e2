import { describe, expect, it } from "vitest";
import { schemaToTypeScript } from "./schema-to-ts.js";

describe("schema to TypeScript: single-line types", () => {
  it.each<[string, unknown, string]>([
    ["no schema is unknown", undefined, "unknown"],
    ["`true` is unknown", true, "unknown"],
    ["`false` is never", false, "never"],
    ["an empty schema is unknown", {}, "unknown"],
    ["a string", { type: "string" }, "string"],
    ["an integer is a number", { type: "integer", minimum: 0 }, "number"],
    ["a boolean", { type: "boolean" }, "boolean"],
    ["null", { type: "null" }, "null"],
    ["an unknown type keyword is unknown", { type: "date" }, "unknown"],
    ["a type array is a union", { type: ["string", "null"] }, "string | null"],
    ["a const is its JSON literal", { const: "v1" }, '"v1"'],
    [
      "a string enum is a union of JSON string literals",
      { type: "string", enum: ["a", 'say "hi"'] },
      '"a" | "say \\"hi\\""',
    ],
    ["a mixed enum keeps each literal", { enum: [1, "one", null, true] }, '1 | "one" | null | true'],
    ["anyOf is a union", { anyOf: [{ type: "string" }, { type: "number" }] }, "string | number"],
    ["oneOf is a union", { oneOf: [{ const: "a" }, { const: "b" }] }, '"a" | "b"'],
    ["a union repeats no member", { anyOf: [{ type: "integer" }, { type: "number" }] }, "number"],
    ["unknown absorbs a union", { anyOf: [{ type: "string" }, {}] }, "unknown"],
    ["nullable adds null", { type: "string", nullable: true }, "string | null"],
    [
      "allOf is an intersection",
      {
        allOf: [{ $ref: "#/$defs/a" }, { type: "object" }],
        $defs: { a: { type: "object", properties: { x: { type: "string" } }, required: ["x"] } },
      },
      "{ x: string; } & { [key: string]: unknown; }",
    ],
    [
      "a union inside an intersection is parenthesized",
      { allOf: [{ type: ["string", "number"] }, { const: 1 }] },
      "(string | number) & 1",
    ],
    ["a single allOf member is that member", { allOf: [{ type: "string" }], description: "x" }, "string"],
    ["an array of items", { type: "array", items: { type: "string" } }, "Array<string>"],
    ["an array without items", { type: "array" }, "Array<unknown>"],
    [
      "an array of objects",
      { type: "array", items: { type: "object", properties: { id: { type: "integer" } }, required: ["id"] } },
      "Array<{ id: number; }>",
    ],
    [
      "prefixItems is a tuple",
      { type: "array", prefixItems: [{ type: "string" }, { type: "number" }] },
      "[string, number]",
    ],
    ["draft-04 tuple items is a tuple", { type: "array", items: [{ type: "boolean" }] }, "[boolean]"],
    ["items without a type is an array", { items: { type: "number" } }, "Array<number>"],
  ])("%s", (_, schema, expected) => {
    expect(schemaToTypeScript(schema)).toBe(expected);
  });
});

describe("schema to TypeScript: objects", () => {
  it.each<[string, unknown, string]>([
    [
      "required properties have no `?`",
      { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
      "{ city: string; }",
    ],
    [
      "other properties are optional",
      { type: "object", properties: { city: { type: "string" } } },
      "{ city?: string; }",
    ],
    [
      "properties are sorted by name",
      {
        type: "object",
        properties: { b: { type: "string" }, a: { type: "number" }, C: { type: "boolean" } },
        required: ["b"],
      },
      "{ C?: boolean; a?: number; b: string; }",
    ],
    [
      "a name that is not an identifier is quoted",
      { type: "object", properties: { "content-type": { type: "string" }, "2fa": { type: "boolean" } } },
      '{ "2fa"?: boolean; "content-type"?: string; }',
    ],
    [
      "a property without a schema is unknown",
      { type: "object", properties: { data: {} }, required: ["data"] },
      "{ data: unknown; }",
    ],
    ["an object without properties is open", { type: "object" }, "{ [key: string]: unknown; }"],
    [
      "additionalProperties is an index signature",
      { type: "object", additionalProperties: { type: "number" } },
      "{ [key: string]: number; }",
    ],
    [
      "additionalProperties true is an unknown index signature",
      { type: "object", properties: { a: { type: "string" } }, additionalProperties: true },
      "{ a?: string; [key: string]: unknown; }",
    ],
    ["a closed object without properties is empty", { type: "object", additionalProperties: false }, "{}"],
    [
      "a closed object has no index signature",
      { type: "object", properties: { a: { type: "string" } }, additionalProperties: false },
      "{ a?: string; }",
    ],
    [
      "properties without a type are an object",
      { properties: { a: { type: "string" } }, required: ["a"] },
      "{ a: string; }",
    ],
    [
      "nested objects",
      {
        type: "object",
        properties: {
          user: {
            type: "object",
            properties: { name: { type: "string" }, emails: { type: "array", items: { type: "string" } } },
            required: ["name"],
          },
        },
        required: ["user"],
      },
      "{ user: { emails?: Array<string>; name: string; }; }",
    ],
    [
      "a nullable object",
      { type: ["object", "null"], properties: { a: { type: "string" } } },
      "{ a?: string; } | null",
    ],
  ])("%s", (_, schema, expected) => {
    expect(schemaToTypeScript(schema)).toBe(expected);
  });
});

describe("schema to TypeScript: local refs", () => {
  it("resolves #/$defs/ refs", () => {
    const schema = {
      type: "object",
      properties: { mode: { $ref: "#/$defs/mode" }, label: { type: "string" } },
      required: ["mode"],
      $defs: { mode: { type: "string", enum: ["fast", "safe"] } },
    };
    expect(schemaToTypeScript(schema)).toBe('{ label?: string; mode: "fast" | "safe"; }');
  });

  it("resolves #/definitions/ refs and a ref at the root", () => {
    const schema = {
      $ref: "#/definitions/Point",
      definitions: {
        Point: { type: "object", properties: { x: { type: "number" }, y: { type: "number" } }, required: ["x", "y"] },
      },
    };
    expect(schemaToTypeScript(schema)).toBe("{ x: number; y: number; }");
  });

  it("resolves JSON pointer escapes in refs", () => {
    const schema = { $ref: "#/$defs/a~1b~0c", $defs: { "a/b~c": { type: "boolean" } } };
    expect(schemaToTypeScript(schema)).toBe("boolean");
  });

  it("renders a cyclic ref as unknown where it comes back", () => {
    const schema = {
      $ref: "#/$defs/node",
      $defs: {
        node: {
          type: "object",
          properties: { value: { type: "string" }, children: { type: "array", items: { $ref: "#/$defs/node" } } },
          required: ["value"],
        },
      },
    };
    expect(schemaToTypeScript(schema)).toBe("{ children?: Array<unknown>; value: string; }");
  });

  it("renders a ref to the whole schema inside it as unknown", () => {
    expect(schemaToTypeScript({ type: "object", properties: { self: { $ref: "#" } } })).toBe("{ self?: unknown; }");
  });

  it("expands a ref used twice side by side both times", () => {
    const schema = {
      type: "object",
      properties: { from: { $ref: "#/$defs/date" }, to: { $ref: "#/$defs/date" } },
      $defs: { date: { type: "string" } },
    };
    expect(schemaToTypeScript(schema)).toBe("{ from?: string; to?: string; }");
  });

  it.each([
    ["a missing definition", "#/$defs/nope"],
    ["a remote schema", "https://example.com/schema.json"],
    ["a relative file", "other.json#/$defs/a"],
  ])("renders a ref it cannot resolve as unknown: %s", (_, ref) => {
    expect(schemaToTypeScript({ type: "object", properties: { a: { $ref: ref } }, required: ["a"] })).toBe(
      "{ a: unknown; }",
    );
  });
});

describe("schema to TypeScript: descriptions", () => {
  it("puts each member on its own line with its description as a comment before it", () => {
    const schema = {
      type: "object",
      properties: {
        city: { type: "string", description: "City name, e.g. Paris." },
        units: { type: "string", enum: ["c", "f"] },
      },
      required: ["city"],
    };
    expect(schemaToTypeScript(schema)).toBe(
      '{\n  /** City name, e.g. Paris. */\n  city: string;\n  units?: "c" | "f";\n}',
    );
  });

  it("writes a description of several lines as a block comment", () => {
    const schema = {
      type: "object",
      properties: { q: { type: "string", description: "Search query.\n\nSupports  `AND`.\n" } },
    };
    expect(schemaToTypeScript(schema)).toBe(
      "{\n  /**\n   * Search query.\n   *\n   * Supports  `AND`.\n   */\n  q?: string;\n}",
    );
  });

  it("escapes a comment end inside a description", () => {
    const schema = { type: "object", properties: { glob: { type: "string", description: "Like src/**/*.ts" } } };
    expect(schemaToTypeScript(schema)).toBe("{\n  /** Like src/**\\/*.ts */\n  glob?: string;\n}");
  });

  it("parenthesizes a union beside a described object, whatever the description says", () => {
    const schema = {
      allOf: [
        { type: "object", properties: { a: { type: "string", description: "x | {y" } } },
        { anyOf: [{ type: "string" }, { type: "number" }] },
      ],
    };
    expect(schemaToTypeScript(schema)).toBe("{\n  /** x | {y */\n  a?: string;\n} & (string | number)");
  });

  it("ignores an empty description", () => {
    expect(schemaToTypeScript({ type: "object", properties: { a: { type: "string", description: "  " } } })).toBe(
      "{ a?: string; }",
    );
  });

  it("indents nested described objects, and opens the outer object too", () => {
    const schema = {
      type: "object",
      properties: {
        filter: {
          type: "object",
          properties: { since: { type: "string", description: "ISO date." } },
        },
      },
    };
    expect(schemaToTypeScript(schema)).toBe("{\n  filter?: {\n    /** ISO date. */\n    since?: string;\n  };\n}");
  });
});
