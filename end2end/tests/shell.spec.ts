import { test, expect, type Page } from "@playwright/test";

/**
 * Console errors and page errors, so a broken hydration fails the test. The
 * browser's own note that the document itself answered 404 is expected on
 * the 404 page and is not an error of ours.
 */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const documentStatus = message.location().url === page.url();
    if (documentStatus && message.text().includes("status of 404")) return;
    errors.push(`${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => errors.push(error.message));
  return errors;
}

/** Resolves once the wasm has hydrated the page. */
async function waitForHydration(page: Page) {
  await page.locator("html[data-hydrated=true]").waitFor({ state: "attached" });
}

test("home page shows the site layout with the stylesheet", async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  await page.goto("/");
  await expect(page).toHaveTitle("Gatehouse");
  await expect(page.getByRole("banner")).toContainText("Gatehouse");
  await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Gatehouse");
  await expect(page.getByRole("contentinfo")).toContainText("self-hosted");
  // The stylesheet from style/ is applied: the header has its own background.
  const headerBorder = await page
    .locator(".site-header")
    .evaluate((el) => getComputedStyle(el).borderBottomStyle);
  expect(headerBorder).toBe("solid");
  await waitForHydration(page);
  await page.screenshot({ path: testInfo.outputPath("home.png"), fullPage: true });
  expect(errors).toEqual([]);
});

test("after hydration, links navigate in the page without a reload", async ({ page }) => {
  const errors = collectErrors(page);
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await waitForHydration(page);

  // A marker on window survives only if the router handles the click in the
  // page instead of the browser loading a new document.
  await page.evaluate(() => ((window as any).__marker = "still here"));
  await page.getByRole("link", { name: "Go to the home page" }).click();
  await expect(page).toHaveURL("/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Gatehouse");
  expect(await page.evaluate(() => (window as any).__marker)).toBe("still here");
  expect(errors).toEqual([]);
});

test("unknown pages get the styled 404 page", async ({ page }, testInfo) => {
  const response = await page.goto("/definitely/missing");
  expect(response?.status()).toBe(404);
  await expect(page).toHaveTitle("Page not found · Gatehouse");
  await expect(page.getByRole("banner")).toContainText("Gatehouse");
  await page.screenshot({ path: testInfo.outputPath("not-found.png"), fullPage: true });
});

test("the layout fits a 360 px wide screen", async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto("/");
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
});

test("a page's own code is fetched the first time it is shown", async ({ page }) => {
  // Pages other than `/`, `/login` and the 404 are lazy routes: with
  // `cargo leptos build --split` each is a wasm chunk of its own.
  const errors = collectErrors(page);
  const chunks: string[] = [];
  page.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith(".wasm") && !path.startsWith("/pkg/gatehouse.")) chunks.push(path);
  });
  await page.goto("/login");
  await waitForHydration(page);
  expect(chunks).toEqual([]);

  // A client-side navigation to a lazy page fetches its chunk and runs it.
  await page.evaluate(() => ((window as any).__marker = "still here"));
  await page.getByRole("link", { name: "Create one" }).click();
  await expect(page).toHaveURL("/register");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Create an account");
  expect(chunks.length).toBeGreaterThan(0);

  // The page is live: its form answers in place, without loading a document.
  await page.getByLabel("Email").fill("chunk-check@example.com");
  await page.getByLabel("Username").fill("x");
  await page.getByLabel("Password").fill("correct horse battery staple 42");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  expect(await page.evaluate(() => (window as any).__marker)).toBe("still here");
  // The browser logs the refused registration's 400, which is the answer
  // expected here; anything else (a chunk that failed to load or run) is not.
  expect(errors.filter((e) => !e.includes("status of 400") || !e.includes("/_fn/register"))).toEqual([]);
});

test("hydration moves nothing on the page", async ({ page }) => {
  // Chromium reports every layout shift; the server-rendered page must
  // already be what the hydrated page shows, on eager and lazy pages alike.
  for (const path of ["/login", "/register", "/forgot-password"]) {
    await page.goto(path);
    await waitForHydration(page);
    const shift = await page.evaluate(
      () =>
        new Promise<number | null>((resolve) => {
          if (!PerformanceObserver.supportedEntryTypes.includes("layout-shift")) {
            resolve(null);
            return;
          }
          let total = 0;
          new PerformanceObserver((list) => {
            for (const entry of list.getEntries() as any[]) total += entry.value;
          }).observe({ type: "layout-shift", buffered: true });
          // How long to watch for a late shift: a right page shifts
          // nothing however long it is watched, so no length fails it.
          setTimeout(() => resolve(total), 300);
        }),
    );
    expect(shift, path).toBe(0);
  }
});
