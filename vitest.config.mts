import { defineConfig } from 'vitest/config';

// The Vitest suite of the testing entry: only test-vitest/ (the Jest suites in test/ are Jest's).
// It imports the package by name, as a user does: `nestjs-heartbeat` and `nestjs-heartbeat/testing`
// resolve to the build (dist/), which `pretest:vitest` makes.
export default defineConfig({
  test: {
    include: ['test-vitest/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
  },
});
