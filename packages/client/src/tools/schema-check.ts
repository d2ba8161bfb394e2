// JSON Schema checks of host tool inputs and outputs with Ajv, and the texts a model reads when
// a value breaks its schema (`input.a must be number`).
import { Ajv, type AnySchema, type ErrorObject, type Options, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsPlugin from "ajv-formats";
import { isJsIdentifier } from "../model/identifiers.js";

/** Checks a value; returns what is wrong with it, `undefined` when it fits the schema. */
export type SchemaCheck = (value: unknown) => string | undefined;

/** At most this many problems are named in one text; the rest are counted. */
export const MAX_REPORTED_PROBLEMS = 5;
/** Errors read to write the text: a hostile input (a huge array of wrong items) costs no more. */
const MAX_READ_ERRORS = 100;

// Never coerce, fill in defaults or remove properties: a value is checked, not changed.
// `strict: false`: real schemas carry keywords Ajv does not know (they are ignored, as the
// JSON Schema specification says); `allErrors`: a model fixes every field in one retry.
const OPTIONS: Options = { strict: false, allErrors: true, logger: false, coerceTypes: false, useDefaults: false };

// ajv-formats is CommonJS: its default export arrives as the module object under NodeNext.
const addFormats = ((addFormatsPlugin as unknown as { default?: typeof addFormatsPlugin }).default ??
  addFormatsPlugin) as unknown as (ajv: Ajv) => void;

/** One validator per draft, made on first use: `$schema` chooses (draft-07 when it is absent). */
const validators = new Map<string, Ajv>();

function validatorFor(schema: unknown): Ajv {
  const declared =
    typeof schema === "object" && schema !== null ? (schema as { $schema?: unknown }).$schema : undefined;
  const draft =
    typeof declared === "string" && declared.includes("2020-12")
      ? "2020-12"
      : typeof declared === "string" && declared.includes("2019-09")
        ? "2019-09"
        : "draft-07";
  let ajv = validators.get(draft);
  if (!ajv) {
    ajv = draft === "2020-12" ? new Ajv2020(OPTIONS) : draft === "2019-09" ? new Ajv2019(OPTIONS) : new Ajv(OPTIONS);
    addFormats(ajv);
    validators.set(draft, ajv);
  }
  return ajv;
}

/**
 * Compiles `schema` into a check whose texts name the value `root` (`input`, `output`).
 * Throws an `Error` saying why when the schema is not a valid JSON Schema (draft-07, or the
 * 2019-09 / 2020-12 drafts when its `$schema` names them).
 */
export function compileSchemaCheck(schema: unknown, root: string): SchemaCheck {
  if (typeof schema !== "boolean" && (typeof schema !== "object" || schema === null || Array.isArray(schema))) {
    throw new Error("a JSON Schema must be an object or a boolean");
  }
  const ajv = validatorFor(schema);
  const validate: ValidateFunction = ajv.compile(unregistered(schema as AnySchema));
  return (value) => {
    try {
      return validate(value) ? undefined : describeErrors(validate.errors ?? [], root);
    } catch (error) {
      // A recursive schema walks the value as deep as it goes.
      return `${root} could not be checked: ${(error as Error).message}`;
    }
  };
}

/**
 * The schema without `$id` (Ajv registers a schema by it, and a second tool with the same id
 * would clash) and `$schema` (the draft is already chosen; an older one, say draft-04, is read
 * as draft-07 rather than refused).
 */
function unregistered(schema: AnySchema): AnySchema {
  if (typeof schema === "boolean") return schema;
  const { $id: _id, $schema: _schema, ...rest } = schema;
  return rest;
}

/** The problems Ajv found, as `{path} {what is wrong}` texts joined with `; `. */
export function describeErrors(allErrors: ErrorObject[], root: string): string {
  const errors = allErrors.slice(0, MAX_READ_ERRORS);
  const texts = new Set<string>();
  // An `anyOf`/`oneOf` failure is described once, from its branches' errors; those are not
  // repeated on their own.
  const branches = errors.filter((error) => error.keyword === "anyOf" || error.keyword === "oneOf");
  const inBranch = (error: ErrorObject) => branches.some((branch) => within(error, branch));
  for (const error of errors) {
    if (inBranch(error)) continue;
    const text =
      error.keyword === "anyOf" || error.keyword === "oneOf"
        ? describeAlternatives(error, errors, root)
        : describeError(error, root);
    texts.add(text);
  }
  const shown = [...texts].slice(0, MAX_REPORTED_PROBLEMS);
  if (allErrors.length > errors.length) shown.push("and more problems");
  else if (texts.size > shown.length) shown.push(`and ${texts.size - shown.length} more problems`);
  return shown.join("; ");
}

function describeError(error: ErrorObject, root: string): string {
  const at = pathText(root, error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return `${pathText(root, `${error.instancePath}/${escapePointer(String(params.missingProperty))}`)} is required`;
    case "type":
      return `${at} must be ${String(params.type).split(",").join(" or ")}`;
    case "enum":
      return `${at} must be one of ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(", ")}`;
    case "const":
      return `${at} must be ${JSON.stringify(params.allowedValue)}`;
    case "additionalProperties":
      return `${pathText(root, `${error.instancePath}/${escapePointer(String(params.additionalProperty))}`)} is not an allowed property`;
    case "false schema":
      return `${at} is not allowed`;
    default:
      return `${at} ${error.message ?? "is invalid"}`;
  }
}

/** Whether `error` was found inside the branches of `alternatives` (an anyOf/oneOf error), for the same value. */
function within(error: ErrorObject, alternatives: ErrorObject): boolean {
  const path = alternatives.instancePath;
  return (
    error !== alternatives &&
    error.schemaPath.startsWith(`${alternatives.schemaPath}/`) &&
    (error.instancePath === path || error.instancePath.startsWith(`${path}/`))
  );
}

/** `x must be string or number` when every branch wanted a type, else each branch's problem. */
function describeAlternatives(error: ErrorObject, errors: ErrorObject[], root: string): string {
  const at = pathText(root, error.instancePath);
  const branchErrors = errors.filter((other) => within(other, error));
  if (
    branchErrors.length > 0 &&
    branchErrors.every((other) => other.keyword === "type" && other.instancePath === error.instancePath)
  ) {
    const types = branchErrors.flatMap((other) => String((other.params as { type: unknown }).type).split(","));
    return `${at} must be ${[...new Set(types)].join(" or ")}`;
  }
  const reasons = [...new Set(branchErrors.map((other) => describeError(other, root)))];
  const which = error.keyword === "oneOf" ? "exactly one" : "one";
  return reasons.length === 0
    ? `${at} must match ${which} of the allowed shapes`
    : `${at} must match ${which} of the allowed shapes (${reasons.join(", or ")})`;
}

/** A JSON Pointer as JavaScript access: `/a/0/x-y` under `input` is `input.a[0]["x-y"]`. */
function pathText(root: string, pointer: string): string {
  if (pointer === "") return root;
  return pointer
    .slice(1)
    .split("/")
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"))
    .reduce(
      (path, key) =>
        /^(0|[1-9][0-9]*)$/.test(key)
          ? `${path}[${key}]`
          : isJsIdentifier(key)
            ? `${path}.${key}`
            : `${path}[${JSON.stringify(key)}]`,
      root,
    );
}

function escapePointer(key: string): string {
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}
