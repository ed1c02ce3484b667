import { defineConfig } from 'vite';

// A sandboxed preload cannot require other files: bundle it, with shared/ inlined, into one
// CommonJS file. Only 'electron' stays external.
export default defineConfig({
  build: {
    outDir: 'out/preload',
    emptyOutDir: true,
    minify: false,
    sourcemap: true,
    target: 'node20',
    lib: {
      entry: 'main/preload/index.ts',
      formats: ['cjs'],
      fileName: () => 'preload.cjs',
    },
    rollupOptions: { external: ['electron'] },
  },
});
