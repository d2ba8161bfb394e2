import { defineConfig } from "vitest/config";

// The cluster suite (`pnpm test:cluster`): real redis-server, haproxy and networked daemons on
// 127.0.0.1. Not part of `pnpm test`: it needs those two programs installed (see the README).
export default defineConfig({
  test: {
    name: "cluster",
    include: ["test/cluster/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // One file at a time: each starts its own services and measures latencies.
    fileParallelism: false,
  },
});
