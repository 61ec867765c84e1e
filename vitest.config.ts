import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests share real PostgreSQL/MariaDB/Redis servers and bind local ports;
    // each test file creates its own users and endpoint, so files may run in parallel.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    allowOnly: false,
    // The functions log JSON lines (errors included, on purpose, in failure tests); show a
    // test's console output only when that test fails, so CI output stays readable.
    silent: 'passed-only',
    passWithNoTests: false,
    reporters: ['default', 'json'],
    outputFile: { json: 'dist/test-results.json' },
  },
});
