import { describe, expect, it } from "vitest";
import { schemaToTypeScript } from "./schema-to-ts.js";

describe("schema to TypeScript: real-world tool schemas", () => {
  it("renders an MCP tool with descriptions, optional fields, arrays and enums", () => {
    const createIssue = {
      type: "object",
      properties: {
        owner: { type: "string", description: "Repository owner" },
        repo: { type: "string", description: "Repository name" },
        title: { type: "string", description: "Issue title" },
        body: { type: "string", description: "Issue body content" },
        labels: { type: "array", items: { type: "string" }, description: "Labels to apply to this issue" },
        state: { type: "string", enum: ["open", "closed"] },
        milestone: { type: ["number", "null"] },
      },
      required: ["owner", "repo", "title"],
      additionalProperties: false,
      $schema: "http://json-schema.org/draft-07/schema#",
    };
    expect(schemaToTypeScript(createIssue)).toBe(
      [
        "{",
        "  /** Issue body content */",
        "  body?: string;",
        "  /** Labels to apply to this issue */",
        "  labels?: Array<string>;",
        "  milestone?: number | null;",
        "  /** Repository owner */",
        "  owner: string;",
        "  /** Repository name */",
        "  repo: string;",
        '  state?: "open" | "closed";',
        "  /** Issue title */",
        "  title: string;",
        "}",
      ].join("\n"),
    );
  });

  it("renders a pydantic model with $defs, allOf-wrapped refs and optional anyOf-null fields", () => {
    const forecast = {
      $defs: {
        Unit: { enum: ["celsius", "fahrenheit"], title: "Unit", type: "string" },
        Location: {
          properties: { lat: { title: "Lat", type: "number" }, lon: { title: "Lon", type: "number" } },
          required: ["lat", "lon"],
          title: "Location",
          type: "object",
        },
      },
      properties: {
        location: { $ref: "#/$defs/Location" },
        unit: { allOf: [{ $ref: "#/$defs/Unit" }], default: "celsius", description: "Temperature unit" },
        days: { anyOf: [{ type: "integer" }, { type: "null" }], default: null, title: "Days" },
      },
      required: ["location"],
      title: "ForecastArgs",
      type: "object",
    };
    expect(schemaToTypeScript(forecast)).toBe(
      [
        "{",
        "  days?: number | null;",
        "  location: { lat: number; lon: number; };",
        "  /** Temperature unit */",
        '  unit?: "celsius" | "fahrenheit";',
        "}",
      ].join("\n"),
    );
  });

  it("renders a zod-generated output schema with a record and a discriminated union", () => {
    const result = {
      type: "object",
      properties: {
        headers: { type: "object", propertyNames: { type: "string" }, additionalProperties: { type: "string" } },
        body: {
          oneOf: [
            {
              type: "object",
              properties: { kind: { const: "json" }, value: {} },
              required: ["kind", "value"],
              additionalProperties: false,
            },
            {
              type: "object",
              properties: { kind: { const: "text" }, value: { type: "string" } },
              required: ["kind", "value"],
              additionalProperties: false,
            },
          ],
        },
      },
      required: ["headers", "body"],
      additionalProperties: false,
    };
    expect(schemaToTypeScript(result)).toBe(
      '{ body: { kind: "json"; value: unknown; } | { kind: "text"; value: string; }; headers: { [key: string]: string; }; }',
    );
  });
});
