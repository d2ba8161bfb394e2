// Writes protocol.schema.json: the JSON Schema of every message, for clients in other languages.
import { writeFileSync } from "node:fs";
import { z } from "zod";
import * as protocol from "../dist/index.js";

const methods = [
  ...protocol.DaemonRequests,
  ...protocol.DaemonNotifications,
  ...protocol.HostRequests,
  ...protocol.HostNotifications,
];
// JSON values are checked by a function (so that they pass through unchanged); say what they are.
const jsonSchemas = new Map([
  [protocol.JsonValue, { description: "any JSON value" }],
  [protocol.JsonObject, { type: "object", description: "a JSON object" }],
]);
const toSchema = (schema) =>
  z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
    override: (ctx) => Object.assign(ctx.jsonSchema, jsonSchemas.get(ctx.zodSchema)),
  });
const document = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  title: "code mode daemon protocol",
  protocolVersion: protocol.PROTOCOL_VERSION,
  errorCodes: protocol.ErrorCode,
  methods: Object.fromEntries(
    methods.map((m) => [
      m.method,
      {
        kind: m.kind,
        direction:
          protocol.HostRequests.includes(m) || protocol.HostNotifications.includes(m) ? "daemon→host" : "host→daemon",
        params: toSchema(m.params),
        ...(m.kind === "request" ? { result: toSchema(m.result) } : {}),
      },
    ]),
  ),
};
writeFileSync(new URL("../protocol.schema.json", import.meta.url), `${JSON.stringify(document, null, 2)}\n`);
