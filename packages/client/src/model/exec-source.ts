// The `exec` tool's input: raw JavaScript with an optional first-line `// @exec: {...}` pragma.

export interface ExecSource {
  /** The JavaScript to run, without the pragma line. */
  source: string;
  yieldTimeMs?: number;
  maxOutputTokens?: number;
}

const PRAGMA_PREFIX = "// @exec:";
const FIELDS = ["yield_time_ms", "max_output_tokens"] as const;
type Field = (typeof FIELDS)[number];

/** Texts the model reads when its input is refused; the first three are the spec's. */
export const ExecSourceErrors = {
  blank:
    "exec expects raw JavaScript source text (non-empty). Provide JS only, optionally with first-line // @exec: {...}.",
  pragmaWithoutSource: "exec pragma must be followed by JavaScript source on subsequent lines",
  unsupportedField: (key: string) =>
    `exec pragma only supports \`yield_time_ms\` and \`max_output_tokens\`; got \`${key}\``,
  // The texts below are ours (the spec names the rule, not the words); they follow the same pattern
  // so the model can tell which part of its pragma to fix.
  notAnObject: "exec pragma must be a JSON object with supported fields `yield_time_ms` and `max_output_tokens`",
  invalidJson: (detail: string) =>
    `exec pragma must be valid JSON with supported fields \`yield_time_ms\` and \`max_output_tokens\`: ${detail}`,
  badValue: (field: string) => `exec pragma field \`${field}\` must be a non-negative safe integer`,
} as const;

/**
 * Splits the pragma off `input` and validates it. Throws an `Error` with one of
 * {@link ExecSourceErrors}. A first line that does not start with the pragma (after leading
 * whitespace) is ordinary code and the input is returned untouched.
 */
export function parseExecSource(input: string): ExecSource {
  if (input.trim() === "") throw new Error(ExecSourceErrors.blank);

  const newline = input.indexOf("\n");
  const firstLine = newline === -1 ? input : input.slice(0, newline);
  const rest = newline === -1 ? "" : input.slice(newline + 1);
  const trimmed = firstLine.trimStart();
  if (!trimmed.startsWith(PRAGMA_PREFIX)) return { source: input };

  // Checked before the directive itself: a pragma alone is the likelier mistake to report.
  if (rest.trim() === "") throw new Error(ExecSourceErrors.pragmaWithoutSource);

  const options = parseDirective(trimmed.slice(PRAGMA_PREFIX.length).trim());
  const parsed: ExecSource = { source: rest };
  const yieldTimeMs = options.yield_time_ms;
  const maxOutputTokens = options.max_output_tokens;
  if (yieldTimeMs !== undefined) parsed.yieldTimeMs = yieldTimeMs;
  if (maxOutputTokens !== undefined) parsed.maxOutputTokens = maxOutputTokens;
  return parsed;
}

function parseDirective(directive: string): Partial<Record<Field, number>> {
  if (directive === "") throw new Error(ExecSourceErrors.notAnObject);
  let value: unknown;
  try {
    value = JSON.parse(directive);
  } catch (error) {
    throw new Error(ExecSourceErrors.invalidJson(error instanceof Error ? error.message : String(error)));
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(ExecSourceErrors.notAnObject);
  }

  // Unknown keys are reported before bad values: a misspelt field is the likelier mistake.
  const unsupported = Object.keys(value).find((key) => !isField(key));
  if (unsupported !== undefined) throw new Error(ExecSourceErrors.unsupportedField(unsupported));

  const options: Partial<Record<Field, number>> = {};
  for (const [key, field] of Object.entries(value)) {
    // `null` means "not set", as an absent field would.
    if (field === null || !isField(key)) continue;
    if (typeof field !== "number" || !Number.isSafeInteger(field) || field < 0) {
      throw new Error(ExecSourceErrors.badValue(key));
    }
    options[key] = field + 0; // -0 → 0
  }
  return options;
}

function isField(key: string): key is Field {
  return (FIELDS as readonly string[]).includes(key);
}
