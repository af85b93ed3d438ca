import { test, expect, type APIRequestContext } from "@playwright/test";
import * as OTPAuth from "otpauth";

const password = "Violet-Harbor-Lamp-42";

/**
 * An account with 2FA on, set up through the JSON API (the 2FA settings pages
 * come later); the test computes codes itself from the secret it was given.
 */
async function enrolled(request: APIRequestContext, tag: string) {
  const id = `${tag}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
  const email = `${id}@example.com`;
  const registered = await request.post("/api/auth/register", {
    data: { email, username: id, password },
  });
  expect(registered.status()).toBe(201);
  const login = await request.post("/api/auth/login", { data: { email, password } });
  const { access_token } = await login.json();
  const headers = { Authorization: `Bearer ${access_token}` };
  const setup = await (await request.post("/api/auth/setup-2fa", { headers })).json();
  const totp = new OTPAuth.TOTP({
    secret: OTPAuth.Secret.fromBase32(setup.secret),
    algorithm: "SHA1",
    digits: 6,
    period: 30,
  });
  const confirmed = await request.post("/api/auth/verify-2fa-setup", {
    headers,
    data: { code: totp.generate() },
  });
  expect(confirmed.status()).toBe(200);
  return { email, totp, backupCodes: setup.backup_codes as string[] };
}

for (const javaScript of [true, false]) {
  const mode = javaScript ? "with JavaScript" : "without JavaScript";

  test.describe(mode, () => {
    test.use({ javaScriptEnabled: javaScript });

    test(`sign in with a TOTP code (${mode})`, async ({ page, request }, testInfo) => {
      const who = await enrolled(request, javaScript ? "totpjs" : "totpnojs");
      await page.goto("/login");
      await page.getByLabel("Email").fill(who.email);
      await page.getByLabel("Password").fill(password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page).toHaveURL(/\/login\/2fa/);
      await page.screenshot({ path: testInfo.outputPath("second-step.png"), fullPage: true });

      // The setup used this time step; the next one is within the ±1 window.
      const next = who.totp.generate({ timestamp: Date.now() + 30_000 });
      await page.getByLabel("Authentication code").fill(next);
      await page.getByRole("button", { name: "Continue" }).click();
      await expect(page).toHaveURL(/\/account$/);
      await expect(page.getByTestId("two-factor")).toHaveText("On");
    });

    test(`sign in with a backup code (${mode})`, async ({ page, request }) => {
      const who = await enrolled(request, javaScript ? "backupjs" : "backupnojs");
      await page.goto("/login");
      await page.getByLabel("Email").fill(who.email);
      await page.getByLabel("Password").fill(password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page).toHaveURL(/\/login\/2fa/);
      await page.getByRole("link", { name: "Use a backup code instead" }).click();
      await page.getByLabel("Backup code").fill(who.backupCodes[0].toLowerCase());
      await page.getByRole("button", { name: "Continue" }).click();
      await expect(page).toHaveURL(/\/account$/);
      await expect(page.getByText("Backup codes left")).toBeVisible();
    });
  });
}

test("a wrong code is explained and the form stays", async ({ page, request }) => {
  const who = await enrolled(request, "wrong");
  await page.goto("/login");
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/login\/2fa/);
  await page.getByLabel("Authentication code").fill("000000");
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("alert")).toContainText("code is wrong");
});
