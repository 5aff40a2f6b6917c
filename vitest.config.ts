import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx', 'src/**/*.test.ts', 'src/**/*.test.tsx'],
    // Deadlines, not expectations: every wait keys on an event, and a limit
    // only ends a test that is stuck. They are generous so that a loaded
    // machine (CI with other work beside it) slows the suite, never fails it.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // The end-to-end files spend most of their time waiting on the sessions
    // they run (child processes), not computing: on a 2-core machine one
    // worker (vitest's default there) leaves the suite serial. Three overlap
    // the waits best: under two CPU hogs `.ci/run` took 680 s with two
    // workers, 574 s with three, and 565 s with four, where each file ran
    // slower (the kill loop 91 s against 74 s with three).
    maxWorkers: 3,
  },
});
