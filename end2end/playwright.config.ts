import { defineConfig } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// The server under test: the binary cargo-leptos built, on its own port, with
// a fresh SQLite database in a temporary folder. Never the developer's data.
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${port}`;
// Made once, by the main process; the workers (which load this file again)
// inherit it through the environment, so they see the server's data folder.
const dataDir = (process.env.GATEHOUSE_E2E_DATA_DIR ??= mkdtempSync(
  join(tmpdir(), "gatehouse-e2e-"),
));
const workspace = join(__dirname, "..");
// Tests that need the server's command line (to make an administrator) run it
// on that same data folder.
process.env.GATEHOUSE_E2E_WORKSPACE = workspace;

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  // After the run, the slowest test files (over 10 s), slowest first; the
  // list above already shows each test's time.
  reportSlowTests: { max: 15, threshold: 10_000 },
  outputDir: "test-results",
  use: {
    baseURL,
    trace: "retain-on-failure",
    // Every scenario leaves a screenshot of where it ended (test-results/).
    screenshot: "on",
    launchOptions: {
      // Debian's Chromium; Playwright never downloads a browser here.
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  webServer: {
    command: `${join(workspace, "target/debug/server")}`,
    cwd: workspace,
    url: `${baseURL}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      ENVIRONMENT: "development",
      DATA_DIR: dataDir,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: join(workspace, "target/site"),
      LEPTOS_OUTPUT_NAME: "gatehouse",
      // Links in emails point back at the server under test.
      PUBLIC_URL: baseURL,
      RUST_LOG: "warn",
    },
  },
});
