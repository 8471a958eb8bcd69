import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// Tests do not go through vite.config.ts: that file needs a plane (--mode) and tests cover both.
// Component tests opt into jsdom with a `@vitest-environment jsdom` comment; the rest run in node.
export default defineConfig({
  plugins: [react()],
  test: {
    include: ['src/**/*.test.{ts,tsx}'],
    environment: 'node',
  },
});
