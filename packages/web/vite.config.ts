import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The API runs on the Weft server; `npm run dev -w @weft/web` proxies to one on the default port.
export default defineConfig({
  plugins: [react()],
  // No gzip size report: it only slows the build that npm start and npm test run each time.
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1500, reportCompressedSize: false },
  server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
});
