import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx', 'src/**/*.test.ts', 'src/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // The end-to-end files spend most of their time waiting on the sessions
    // they run (child processes), not computing: on a 2-core machine one
    // worker (vitest's default there) leaves the suite serial. Their waits
    // key on events, so overlapping three of them is safe on a loaded machine.
    maxWorkers: 3,
  },
});
