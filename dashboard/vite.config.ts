import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The operations dashboard, built into dist/dashboard at `npm run build` and served by
 * `switchboard serve` at /dashboard/ (src/server/dashboard.ts). Every asset is bundled: the
 * page loads nothing from another origin.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/dashboard/',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // No source maps in the package: they would double its size for a page that is easy to debug from dashboard/.
    sourcemap: false,
    assetsInlineLimit: 0,
  },
});
