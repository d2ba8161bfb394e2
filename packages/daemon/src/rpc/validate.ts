// Params validation at the boundary: a zod failure becomes -32602 naming the issue paths.
import { ErrorCode } from "@codemode/protocol";
import { ResponseError } from "vscode-jsonrpc/node";
import type { z } from "zod";

export function parseParams<S extends z.ZodType>(schema: S, params: unknown): z.infer<S> {
  const result = schema.safeParse(params);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const path = issue.path.length === 0 ? "params" : `params.${issue.path.map(String).join(".")}`;
    return `${path}: ${issue.message}`;
  });
  throw new ResponseError(ErrorCode.InvalidParams, `invalid params: ${issues.join("; ")}`);
}
