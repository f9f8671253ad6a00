import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native addons and worker threads: separate processes keep one crash from taking the run down.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
