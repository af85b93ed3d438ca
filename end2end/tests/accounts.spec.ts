import { test, expect, type Page, type BrowserContext } from "@playwright/test";

const password = "Violet-Harbor-Lamp-42";

/** A fresh identity per test, so tests never depend on each other. */
function person(tag: string) {
  const id = `${tag}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
  return { email: `${id}@example.com`, username: id };
}

async function register(page: Page, who: { email: string; username: string }) {
  await page.goto("/register");
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Username").fill(who.username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/login\?registered=1/);
  await expect(page.getByRole("status")).toContainText("Your account is ready");
}

async function signIn(page: Page, email: string, secret = password) {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(secret);
  await page.getByRole("button", { name: "Sign in" }).click();
}

for (const javaScript of [true, false]) {
  const mode = javaScript ? "with JavaScript" : "without JavaScript";

  test.describe(mode, () => {
    test.use({ javaScriptEnabled: javaScript });

    test(`register, sign in, see the account, sign out (${mode})`, async ({ page }, testInfo) => {
      const who = person(javaScript ? "js" : "nojs");
      await register(page, who);
      await signIn(page, who.email);
      await expect(page).toHaveURL(/\/account$/);
      await expect(page.getByRole("heading", { name: "Your account" })).toBeVisible();
      await expect(page.getByTestId("username")).toHaveText(who.username);
      await expect(page.getByTestId("two-factor")).toHaveText("Off");
      await page.screenshot({ path: testInfo.outputPath("account.png"), fullPage: true });

      await page.getByRole("button", { name: "Sign out" }).click();
      await expect(page).toHaveURL(/\/login$/);
      await page.goto("/account");
      await expect(page).toHaveURL(/\/login\?next=%2Faccount|\/login\?next=\/account/);
    });

    test(`a wrong password says so, and five lock the account (${mode})`, async ({ page }, testInfo) => {
      const who = person(javaScript ? "lockjs" : "locknojs");
      await register(page, who);
      for (let attempt = 1; attempt <= 4; attempt++) {
        await signIn(page, who.email, "Wrong-Password-123");
        await expect(page.getByRole("alert")).toContainText("email or password is incorrect");
      }
      await signIn(page, who.email, "Wrong-Password-123");
      await expect(page.getByRole("alert")).toContainText("locked for 30 more minutes");
      await page.screenshot({ path: testInfo.outputPath("locked.png"), fullPage: true });
    });
  });
}

test("a signed-out visitor to /account comes back there after signing in", async ({ page }) => {
  const who = person("back");
  await register(page, who);
  await page.goto("/account");
  await expect(page).toHaveURL(/\/login\?next=/);
  await signIn(page, who.email);
  await expect(page).toHaveURL(/\/account$/);
});
