// JSON Schema → a TypeScript type the model can read, for the declarations of the `exec` tools.
import { isJsIdentifier } from "./identifiers.js";

type Schema = Record<string, unknown>;

interface Context {
  /** The schema local `$ref`s point into. */
  root: unknown;
  /** Schemas being expanded, the root first; a ref back to one of them is a cycle. */
  expanding: Set<unknown>;
}

/**
 * Renders `schema` as a TypeScript type. Precedence, first match wins: `$ref` (local only),
 * `const`, `enum`, `anyOf`/`oneOf` (union), `allOf` (intersection), `type` (an array of types is
 * a union), then `properties`/`additionalProperties`/`required` (object), then `items`/`prefixItems`
 * (array). Anything else, a missing schema or one we cannot resolve is `unknown`; `false` is `never`.
 * `nullable: true` adds `| null`. Objects list their properties sorted, `?` marking the ones not in
 * `required`; once a property has a description every member goes on its own line, after the
 * description as a `/** ... *\/` comment.
 */
export function schemaToTypeScript(schema: unknown): string {
  return render(schema, { root: schema, expanding: new Set([schema]) }, 0);
}

function render(schema: unknown, context: Context, depth: number): string {
  if (schema === false) return "never";
  if (!isSchema(schema)) return "unknown";
  const type = renderCore(schema, context, depth);
  return schema.nullable === true ? union([type, "null"]) : type;
}

function renderCore(schema: Schema, context: Context, depth: number): string {
  if (typeof schema.$ref === "string") return renderRef(schema.$ref, context, depth);
  if ("const" in schema) return literal(schema.const);
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return union(schema.enum.map(literal));
  for (const key of ["anyOf", "oneOf"]) {
    const variants = schema[key];
    if (Array.isArray(variants) && variants.length > 0) {
      return union(variants.map((variant) => render(variant, context, depth)));
    }
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) {
    return intersection(schema.allOf.map((part) => render(part, context, depth)));
  }
  if (typeof schema.type === "string") return renderType(schema.type, schema, context, depth);
  if (Array.isArray(schema.type) && schema.type.length > 0) {
    return union(
      schema.type.map((type) => (typeof type === "string" ? renderType(type, schema, context, depth) : "unknown")),
    );
  }
  if ("properties" in schema || "additionalProperties" in schema || "required" in schema) {
    return renderObject(schema, context, depth);
  }
  if ("items" in schema || "prefixItems" in schema) return renderArray(schema, context, depth);
  return "unknown";
}

function renderType(type: string, schema: Schema, context: Context, depth: number): string {
  switch (type) {
    case "string":
    case "boolean":
    case "null":
      return type;
    case "number":
    case "integer":
      return "number";
    case "array":
      return renderArray(schema, context, depth);
    case "object":
      return renderObject(schema, context, depth);
    default:
      return "unknown";
  }
}

function renderRef(ref: string, context: Context, depth: number): string {
  const target = resolvePointer(context.root, ref);
  if (target === undefined || context.expanding.has(target)) return "unknown";
  context.expanding.add(target);
  try {
    return render(target, context, depth);
  } finally {
    context.expanding.delete(target);
  }
}

/** Follows a local ref (`#`, `#/$defs/X`, `#/definitions/X`, any JSON pointer); else undefined. */
function resolvePointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith("#")) return undefined;
  let pointer: string;
  try {
    pointer = decodeURIComponent(ref.slice(1));
  } catch {
    return undefined;
  }
  if (pointer === "") return root;
  if (!pointer.startsWith("/")) return undefined;
  let node: unknown = root;
  for (const raw of pointer.slice(1).split("/")) {
    const token = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (Array.isArray(node) && /^(0|[1-9][0-9]*)$/.test(token)) node = node[Number(token)];
    else if (isSchema(node) && Object.hasOwn(node, token)) node = node[token];
    else return undefined;
  }
  return node;
}

function renderArray(schema: Schema, context: Context, depth: number): string {
  // An array of schemas under `items` is the draft-04 spelling of `prefixItems`.
  const tuple = Array.isArray(schema.prefixItems) ? schema.prefixItems : schema.items;
  if (Array.isArray(tuple)) return `[${tuple.map((item) => render(item, context, depth)).join(", ")}]`;
  return `Array<${"items" in schema ? render(schema.items, context, depth) : "unknown"}>`;
}

interface Member {
  description: string | undefined;
  text: string;
}

function renderObject(schema: Schema, context: Context, depth: number): string {
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  const properties = isSchema(schema.properties) ? Object.entries(schema.properties) : [];
  properties.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  const members: Member[] = properties.map(([name, property]) => ({
    description: isSchema(property) ? describe(property.description) : undefined,
    text: `${isJsIdentifier(name) ? name : JSON.stringify(name)}${required.has(name) ? "" : "?"}: ${render(property, context, depth + 1)};`,
  }));
  const index = indexType(schema, properties.length > 0, context, depth);
  if (index !== undefined) members.push({ description: undefined, text: `[key: string]: ${index};` });

  if (members.length === 0) return "{}";
  const multiline = members.some((member) => member.description !== undefined || member.text.includes("\n"));
  if (!multiline) return `{ ${members.map((member) => member.text).join(" ")} }`;

  const indent = "  ".repeat(depth + 1);
  const lines = ["{"];
  for (const member of members) {
    if (member.description !== undefined) lines.push(...docComment(member.description, indent));
    lines.push(indent + member.text);
  }
  lines.push(`${"  ".repeat(depth)}}`);
  return lines.join("\n");
}

/** Type of the index signature; an object without properties or `additionalProperties` is open. */
function indexType(schema: Schema, hasProperties: boolean, context: Context, depth: number): string | undefined {
  const additional = schema.additionalProperties;
  if (additional === undefined) return hasProperties ? undefined : "unknown";
  if (additional === false) return undefined;
  return additional === true ? "unknown" : render(additional, context, depth + 1);
}

function describe(description: unknown): string | undefined {
  if (typeof description !== "string") return undefined;
  const trimmed = description.trim();
  return trimmed === "" ? undefined : trimmed;
}

function docComment(description: string, indent: string): string[] {
  // A "*/" inside the text would end the comment early.
  const lines = description.replaceAll("*/", "*\\/").split(/\r?\n/);
  if (lines.length === 1) return [`${indent}/** ${lines[0]} */`];
  return [
    `${indent}/**`,
    ...lines.map((line) => `${indent} *${line.trimEnd() === "" ? "" : ` ${line.trimEnd()}`}`),
    `${indent} */`,
  ];
}

function literal(value: unknown): string {
  return JSON.stringify(value) ?? "unknown";
}

/** A union without repeats; `unknown` absorbs every other member. */
function union(types: string[]): string {
  const unique = [...new Set(types)];
  return unique.includes("unknown") ? "unknown" : unique.join(" | ");
}

function intersection(types: string[]): string {
  const parts = [...new Set(types)].filter((type) => type !== "unknown");
  if (parts.length === 0) return "unknown";
  return parts.map((type) => (parts.length > 1 && hasTopLevelUnion(type) ? `(${type})` : type)).join(" & ");
}

/** Whether `type` is a union at its top level (a `|` outside brackets, strings and comments). */
function hasTopLevelUnion(type: string): boolean {
  let depth = 0;
  for (let i = 0; i < type.length; i++) {
    const char = type[i];
    if (char === '"') i = skipString(type, i);
    else if (char === "/" && type[i + 1] === "*") i = skipComment(type, i);
    else if (char === "{" || char === "[" || char === "(" || char === "<") depth++;
    else if (char === "}" || char === "]" || char === ")" || char === ">") depth--;
    else if (char === "|" && depth === 0) return true;
  }
  return false;
}

/** Index of the quote closing the JSON string that opens at `start`. */
function skipString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i;
  }
  return text.length;
}

/** Index of the "/" closing the comment that opens at `start`. */
function skipComment(text: string, start: number): number {
  const end = text.indexOf("*/", start + 2);
  return end === -1 ? text.length : end + 1;
}

function isSchema(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
