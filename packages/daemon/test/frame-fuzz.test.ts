// A seeded fuzz of frame boundaries over real pipes, in both framings: damaged input (stray
// bytes, mis-sized and broken frames, cut lines) between well-formed requests, all written in
// random splits. Every well-formed request after the damage is answered exactly once.
import { describe, expect, it } from "vitest";
import { answersTo, frame, INIT, RawClient, type RawFraming, requestJson } from "./raw-client.js";

/** The seeds run (FRAME_FUZZ_SEED=n runs that one alone). */
const SEEDS = process.env.FRAME_FUZZ_SEED ? [Number(process.env.FRAME_FUZZ_SEED)] : [20_261_130, 1, 2];
const ROUNDS = 60;

/** mulberry32: a small seeded generator, so that a failure can be replayed. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (max: number) => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { next, int, pick };
}
type Random = ReturnType<typeof generator>;

const FRAGMENTS = [
  "{",
  "}",
  "[",
  '"',
  ":",
  ",",
  "\r",
  "\r\n",
  "Content-Length: 7",
  "Content-Len",
  "é",
  "\u0000",
  "x",
  " ",
];

function strayBytes(random: Random): string {
  let text = "";
  for (let count = 1 + random.int(8); count > 0; count--) text += random.pick(FRAGMENTS);
  return text;
}

/** One piece of damage in Content-Length framing; it never hides the frame after it. */
function contentLengthDamage(random: Random, id: string): string {
  const json = requestJson(id, "session/open", { sessionId: `damaged-${id}`, note: "é".repeat(random.int(4)) });
  const bytes = Buffer.byteLength(json);
  switch (random.int(6)) {
    case 0:
      return strayBytes(random);
    case 1:
      // Counted in characters, or simply wrong, too short.
      return `Content-Length: ${Math.max(1, bytes - 1 - random.int(20))}\r\n\r\n${json}`;
    case 2:
      return `Content-Length: ${bytes + 1 + random.int(200)}\r\n\r\n${json}`;
    case 3:
      return `Content-Length: ${bytes}\r\n\r\n${json.slice(0, -3)}xyz`;
    case 4:
      return `Content-Length: ${bytes}\r\n${json}`;
    default:
      return `X-Trace: ${strayBytes(random).replace(/\r\n?/g, "")}\r\n`;
  }
}

/** One piece of damage in newline framing: whole lines (a line only ends at its newline). */
function ndjsonDamage(random: Random, id: string): string {
  const json = requestJson(id, "session/open", { sessionId: `damaged-${id}` });
  switch (random.int(4)) {
    case 0:
      return `${strayBytes(random)}\n`;
    case 1:
      return `${json.slice(0, random.int(json.length))}\n`;
    case 2:
      return `${json.slice(0, 10)}${strayBytes(random)}${json.slice(10)}\n`;
    default:
      return "\n\r\n   \n";
  }
}

/** Writes `bytes` in random splits, now and then letting the daemon read what came so far. */
async function writeSplit(client: RawClient, random: Random, bytes: Buffer): Promise<void> {
  for (let offset = 0; offset < bytes.length; ) {
    const size = 1 + random.int(random.next() < 0.5 ? 8 : 400);
    client.writeRaw(bytes.subarray(offset, offset + size));
    offset += size;
    if (random.next() < 0.2) await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

describe.each(["content-length", "ndjson"] as const)("frame boundaries fuzzed, %s framing", (framing: RawFraming) => {
  it.each(SEEDS)(
    "every well-formed request after damage is answered exactly once (seed %i)",
    {
      timeout: 60_000,
    },
    async (seed) => {
      const random = generator(seed);
      const client = new RawClient(framing);
      await client.request(1, "initialize", INIT);
      const expected: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const damage = framing === "ndjson" ? ndjsonDamage : contentLengthDamage;
        let text = "";
        for (let piece = 1 + random.int(3); piece > 0; piece--) text += damage(random, `d-${round}-${piece}`);
        for (let request = 1 + random.int(3); request > 0; request--) {
          const id = `w-${round}-${request}`;
          expected.push(id);
          text += frame(framing, requestJson(id, "daemon/stats", {}));
        }
        await writeSplit(client, random, Buffer.from(text));
      }
      const last = await client.request(2, "daemon/stats", {});
      expect(last.result).toMatchObject({ workers: expect.any(Number) });
      const answered = Promise.all(expected.map((id) => client.waitFor((m) => m.method === undefined && m.id === id)));
      await Promise.race([answered, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      // Room for a second answer to arrive, were there one.
      await client.request(3, "daemon/stats", {});
      const wrong = expected
        .map((id) => ({ id, answers: answersTo(client.received, id).length }))
        .filter(({ answers }) => answers !== 1);
      expect(wrong).toEqual([]);
      const errors = expected.map((id) => answersTo(client.received, id)[0]).filter((m) => m?.error);
      expect(errors).toEqual([]);
      client.close();
      await client.exited;
    },
  );
});
