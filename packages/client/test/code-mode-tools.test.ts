// exec and wait as a model calls them, over the real daemon.
import { afterAll, beforeAll, expect, it } from "vitest";
import { CodeModeClient, type ContentItem } from "../src/index.js";
import { createCodeModeTools } from "../src/model/index.js";

const TOOLS = [
  {
    name: "get_weather",
    description: "Weather of a city.",
    inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
];

const texts = (items: ContentItem[]) => items.map((item) => (item.type === "text" ? item.text : "[image]"));
const status = (items: ContentItem[]) => texts(items)[0]?.split("\n")[0];

let client: CodeModeClient;
beforeAll(async () => {
  client = await CodeModeClient.start();
});
afterAll(async () => {
  await client.close();
});

it("an agent loop's exec and wait calls run cells, call host tools and read back as the model sees them", async () => {
  const notes: string[] = [];
  const session = await client.openSession({
    delegate: {
      invokeTool: async (call) => ({ city: (call.input as { city: string }).city, celsius: 21 }),
      notify: async (notification) => {
        notes.push(`${notification.callId}: ${notification.text}`);
      },
    },
  });
  const tools = createCodeModeTools(session, { tools: TOOLS });

  const first = await tools.handle({
    name: "exec",
    callId: "call_1",
    input: `// @exec: {"yield_time_ms": 60000}
const w = await tools.get_weather({ city: "Paris" });
notify("fetched");
text(w.city + ": " + w.celsius);
yield_control();
await new Promise((resolve) => setTimeout(resolve, 50));
text("later");`,
  });
  expect(status(first)).toBe("Script running with cell ID 1");
  expect(texts(first).slice(1)).toEqual(["Paris: 21"]);
  expect(notes).toEqual(["call_1: fetched"]);

  const second = await tools.handle({ name: "wait", callId: "call_2", input: '{"cell_id": "1"}' });
  expect(status(second)).toBe("Script completed");
  expect(texts(second).slice(1)).toEqual(["later"]);

  const failed = await tools.handle({ name: "exec", callId: "call_3", input: "text(1);\nthrow new Error('boom');" });
  expect(status(failed)).toBe("Script failed");
  expect(texts(failed)[1]).toBe("1");
  expect(texts(failed)[2]).toMatch(/^Script error:\nError: boom/);

  const spinning = await tools.handle({
    name: "exec",
    callId: "call_4",
    input: '// @exec: {"yield_time_ms": 20}\nwhile (true) {}',
  });
  expect(status(spinning)).toBe("Script running with cell ID 3");
  const stopped = await tools.handle({ name: "wait", callId: "call_5", input: { cell_id: "3", terminate: true } });
  expect(status(stopped)).toBe("Script terminated");

  // Any non-negative safe integer is a valid yield time, even past what Node's timers keep.
  const patient = await tools.handle({
    name: "exec",
    callId: "call_6",
    input:
      '// @exec: {"yield_time_ms": 3000000000}\nawait new Promise((resolve) => setTimeout(resolve, 50));\ntext("done");',
  });
  expect(status(patient)).toBe("Script completed");
  expect(texts(patient).slice(1)).toEqual(["done"]);
  const waited = await tools.handle({
    name: "wait",
    callId: "call_7",
    input: { cell_id: "4", yield_time_ms: 3_000_000_000 },
  });
  expect(texts(waited)[1]).toBe("Script error:\nexec cell 4 not found");

  await session.shutdown();
});
