import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: { name: "main", include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts"] },
      },
      {
        // The hostile corpus once more on quickjs-emscripten's debug build, whose assertions and
        // leak checks at every runtime's end catch a handle the daemon forgot to free.
        extends: true,
        test: {
          name: "engine-debug",
          include: ["packages/daemon/test/hostile.test.ts", "packages/daemon/test/boundary.test.ts"],
          env: { CODEMODE_TEST_ENGINE: "debug" },
        },
      },
      {
        // The repository as a whole (fresh clone, packed packages, the docs' code): installs and
        // builds that would load the machine under the timing bounds of the daemon's tests, so
        // they run once those are done.
        extends: true,
        test: {
          name: "repository",
          include: ["test/**/*.test.ts"],
          // Run by `pnpm test:cluster` (vitest.cluster.config.ts): it needs redis-server and haproxy.
          exclude: ["test/cluster/**"],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
