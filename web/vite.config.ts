import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const webDir = fileURLToPath(new URL('.', import.meta.url));
/** Where `npm run dev:web` sends API calls: a locally running agent (`npm start`). */
const agentUrl = process.env.AGENT_URL ?? 'http://localhost:8080';

export default defineConfig({
  root: webDir,
  base: '/',
  plugins: [react()],
  resolve: {
    // @ai-sdk/react pins an exact `ai` patch release; bundle the project's single copy instead of two.
    dedupe: ['ai', 'react', 'react-dom'],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    // React, the AI SDK's UI runtime and the Markdown parser: one ~600 kB bundle (170 kB gzipped) is fine here.
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: { '/v1': agentUrl, '/callback': agentUrl, '/health': agentUrl },
  },
});
