// The web client's build: `vite build web` (npm run build:web) writes web/dist, which the
// API's HTTP server serves at `/` (src/server/http.ts). Preact's JSX is compiled by Vite's
// own transform (Oxc), so no Babel preset is needed.
import { defineConfig } from "vite";

export default defineConfig(({ mode }) => ({
  oxc: {
    jsx: {
      runtime: "automatic",
      importSource: "preact",
      // By the build's mode, not NODE_ENV: a build started from a test run (NODE_ENV=test)
      // must still leave out the development JSX (source file names and line numbers).
      development: mode === "development",
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Chromium, Firefox and Safari of the last two years; no legacy bundle.
    target: "es2022",
    // Keep the inline modulepreload polyfill out, so the page runs under a strict
    // Content-Security-Policy (script-src 'self').
    modulePreload: { polyfill: false },
  },
  server: {
    // `npx vite web` during development: the API runs on its own port (npm start).
    proxy: { "/graphql": { target: "http://localhost:4000", ws: true } },
  },
}));
