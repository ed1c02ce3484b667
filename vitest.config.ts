import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Training tests each own a worker thread and a core; running files in parallel on a 2-core
    // machine only makes them slower and their timings noisier.
    fileParallelism: false,
    pool: 'forks',
  },
});
