// The shape of JSON results, learned from examples and bounded, as a JSON Schema the exec
// description renders. The algorithm (docs/design.md, "Learned result types"):
//   - each result is read to a shape: its JSON type, an array's items merged, an object's
//     properties; below MAX_DEPTH levels, past MAX_PROPERTIES keys of an object, past
//     MAX_ITEMS items of an array and past MAX_NODES shapes per result, what is left is unknown
//     (an object keeps an index signature for the keys it dropped);
//   - shapes merge: same types merge member by member (a property missing from one side
//     becomes optional), different types become a union of at most MAX_UNION members, and a
//     wider union, or anything merged with unknown, is unknown.
export const LEARNED_TYPE_LIMITS = {
  /** Levels of nesting described; deeper values are `unknown`. */
  MAX_DEPTH: 4,
  /** Properties described per object; the others fall under `[key: string]: unknown`. */
  MAX_PROPERTIES: 16,
  /** Items of an array read per result. */
  MAX_ITEMS: 16,
  /** Members of a union; a wider one is `unknown`. */
  MAX_UNION: 4,
  /** Shapes read per result, whatever its form. */
  MAX_NODES: 256,
  /** Characters of the declared type; a longer one is not declared. */
  MAX_CHARS: 2_000,
} as const;

type Primitive = "string" | "number" | "boolean" | "null";

export type Shape =
  | { kind: "unknown" }
  | { kind: Primitive }
  | { kind: "array"; item: Shape | undefined }
  | { kind: "object"; properties: Map<string, { shape: Shape; optional: boolean }>; open: boolean }
  | { kind: "union"; members: Shape[] };

const UNKNOWN: Shape = { kind: "unknown" };

/** The shape of one result (what is not JSON, say a `Date` a delegate returned, is unknown). */
export function shapeOf(value: unknown): Shape {
  return read(value, 0, { nodes: LEARNED_TYPE_LIMITS.MAX_NODES });
}

function read(value: unknown, depth: number, budget: { nodes: number }): Shape {
  if (--budget.nodes < 0) return UNKNOWN;
  if (value === null) return { kind: "null" };
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return { kind: typeof value as Primitive };
  }
  if (typeof value !== "object" || depth >= LEARNED_TYPE_LIMITS.MAX_DEPTH) return UNKNOWN;
  if (Array.isArray(value)) {
    let item: Shape | undefined;
    for (const element of value.slice(0, LEARNED_TYPE_LIMITS.MAX_ITEMS)) {
      const shape = read(element, depth + 1, budget);
      item = item === undefined ? shape : merge(item, shape);
    }
    return { kind: "array", item };
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return UNKNOWN;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const properties = new Map<string, { shape: Shape; optional: boolean }>();
  for (const key of keys.slice(0, LEARNED_TYPE_LIMITS.MAX_PROPERTIES)) {
    properties.set(key, { shape: read(record[key], depth + 1, budget), optional: false });
  }
  return { kind: "object", properties, open: keys.length > properties.size };
}

/** The shape that covers both (see the algorithm above). */
export function merge(a: Shape, b: Shape): Shape {
  if (a.kind === "unknown" || b.kind === "unknown") return UNKNOWN;
  if (a.kind === "union" || b.kind === "union" || a.kind !== b.kind) {
    let members = a.kind === "union" ? a.members : [a];
    for (const member of b.kind === "union" ? b.members : [b]) members = addMember(members, member);
    if (members.length > LEARNED_TYPE_LIMITS.MAX_UNION) return UNKNOWN;
    return members.length === 1 ? (members[0] as Shape) : { kind: "union", members };
  }
  if (a.kind === "array" && b.kind === "array") {
    return {
      kind: "array",
      item: a.item === undefined ? b.item : b.item === undefined ? a.item : merge(a.item, b.item),
    };
  }
  if (a.kind === "object" && b.kind === "object") return mergeObjects(a, b);
  return a;
}

function addMember(members: Shape[], shape: Shape): Shape[] {
  const index = members.findIndex((member) => member.kind === shape.kind);
  if (index === -1) return [...members, shape];
  return members.map((member, i) => (i === index ? merge(member, shape) : member));
}

function mergeObjects(a: Shape & { kind: "object" }, b: Shape & { kind: "object" }): Shape {
  const properties = new Map<string, { shape: Shape; optional: boolean }>();
  let open = a.open || b.open;
  for (const key of new Set([...a.properties.keys(), ...b.properties.keys()])) {
    const left = a.properties.get(key);
    const right = b.properties.get(key);
    if (properties.size >= LEARNED_TYPE_LIMITS.MAX_PROPERTIES) {
      open = true;
      break;
    }
    const shape = left && right ? merge(left.shape, right.shape) : ((left ?? right) as { shape: Shape }).shape;
    const optional = !left || !right || left.optional || right.optional;
    properties.set(key, { shape, optional });
  }
  return { kind: "object", properties, open };
}

/** The shape as a JSON Schema (what `schemaToTypeScript` renders). */
export function schemaOf(shape: Shape): Record<string, unknown> {
  switch (shape.kind) {
    case "unknown":
      return {};
    case "array":
      return shape.item === undefined ? { type: "array" } : { type: "array", items: schemaOf(shape.item) };
    case "object": {
      const entries = [...shape.properties];
      return {
        type: "object",
        // fromEntries defines own properties: a `__proto__` key stays a key.
        properties: Object.fromEntries(entries.map(([key, { shape: property }]) => [key, schemaOf(property)])),
        required: entries.filter(([, { optional }]) => !optional).map(([key]) => key),
        additionalProperties: shape.open,
      };
    }
    case "union":
      return { anyOf: shape.members.map(schemaOf) };
    default:
      return { type: shape.kind };
  }
}
