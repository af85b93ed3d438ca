import { test, expect, type Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import * as OTPAuth from "otpauth";
import { account, password, signIn } from "./support";

async function signOut(page: Page) {
  await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
}

/** Turns 2FA on through the settings page, reading the key off the page. */
async function enableOnPage(page: Page) {
  await page.goto("/account/2fa");
  await expect(page.getByTestId("two-factor-status")).toHaveText("Off");
  await page.getByRole("button", { name: "Set up two-factor authentication" }).click();
  await expect(page.getByRole("img", { name: /QR code/ })).toBeVisible();
  const secret = (await page.getByTestId("totp-secret").textContent())!.trim();
  const totp = new OTPAuth.TOTP({
    secret: OTPAuth.Secret.fromBase32(secret),
    algorithm: "SHA1",
    digits: 6,
    period: 30,
  });
  await page.getByLabel("Code from the app").fill(totp.generate());
  await page.getByRole("button", { name: "Turn on two-factor authentication" }).click();
  await expect(page.getByRole("heading", { name: "Save your backup codes" })).toBeVisible();
  const backupCodes = await page.getByTestId("backup-codes").locator("code").allTextContents();
  expect(backupCodes).toHaveLength(10);
  return { totp, backupCodes };
}

for (const javaScript of [true, false]) {
  const mode = javaScript ? "with JavaScript" : "without JavaScript";

  test.describe(mode, () => {
    test.use({ javaScriptEnabled: javaScript });

    test(`turn 2FA on in settings, then sign in with a code and with a backup code (${mode})`, async (
      { page, request },
      testInfo,
    ) => {
      const who = await account(request, javaScript ? "setjs" : "setnojs");
      await signIn(page, who.email);
      await expect(page).toHaveURL(/\/account$/);
      await expect(page.getByTestId("signed-in-as")).toHaveText(who.username);
      await page.getByRole("link", { name: "Turn on" }).click();
      await expect(page).toHaveURL(/\/account\/2fa$/);

      const { totp, backupCodes } = await enableOnPage(page);
      await page.screenshot({ path: testInfo.outputPath("backup-codes.png"), fullPage: true });

      // The download is a real .txt file with every code.
      const download = page.waitForEvent("download");
      await page.getByRole("link", { name: "Download (.txt)" }).click();
      const file = await download;
      expect(file.suggestedFilename()).toBe("gatehouse-backup-codes.txt");
      const text = readFileSync((await file.path())!, "utf8");
      for (const code of backupCodes) expect(text).toContain(code);

      // Shown once: the next visit shows the count, not the codes.
      await page.getByRole("link", { name: "I have saved my codes" }).click();
      await expect(page.getByTestId("two-factor-status")).toHaveText("On");
      await expect(page.getByTestId("backup-codes-left")).toHaveText("10 of 10 backup codes left.");
      await expect(page.getByTestId("backup-codes")).toHaveCount(0);

      // Sign in again with a code from the authenticator (the setup used
      // this time step; the next one is within the accepted window).
      await signOut(page);
      await signIn(page, who.email);
      await expect(page).toHaveURL(/\/login\/2fa/);
      await page.getByLabel("Authentication code").fill(totp.generate({ timestamp: Date.now() + 30_000 }));
      await page.getByRole("button", { name: "Continue" }).click();
      await expect(page).toHaveURL(/\/account$/);
      await expect(page.getByTestId("two-factor")).toHaveText("On");

      // And with a backup code.
      await signOut(page);
      await signIn(page, who.email);
      await page.getByRole("link", { name: "Use a backup code instead" }).click();
      await page.getByLabel("Backup code").fill(backupCodes[0]);
      await page.getByRole("button", { name: "Continue" }).click();
      await expect(page).toHaveURL(/\/account$/);

      // Turning 2FA off needs the password and a code (here a backup code).
      await page.goto("/account/2fa");
      await expect(page.getByTestId("backup-codes-left")).toHaveText("9 of 10 backup codes left.");
      await page.getByLabel("Password").fill(password);
      await page.getByLabel("Code from your app, or a backup code").fill(backupCodes[1]);
      await page.getByRole("button", { name: "Turn off two-factor authentication" }).click();
      await expect(page.getByTestId("two-factor-status")).toHaveText("Off");
      await page.screenshot({ path: testInfo.outputPath("two-factor-off.png"), fullPage: true });
    });

    test(`a wrong code is explained, with focus on the message (${mode})`, async ({ page, request }) => {
      const who = await account(request, javaScript ? "focusjs" : "focusnojs");
      await signIn(page, who.email);
      await expect(page).toHaveURL(/\/account$/);
      await page.goto("/account/2fa");
      await page.getByRole("button", { name: "Set up two-factor authentication" }).click();
      await page.getByLabel("Code from the app").fill("000000");
      await page.getByRole("button", { name: "Turn on two-factor authentication" }).click();
      const alert = page.getByRole("alert");
      await expect(alert).toContainText("code is wrong");
      await expect(alert).toBeFocused();
      // The pending setup is still there to try again.
      await expect(page.getByTestId("totp-secret")).not.toBeEmpty();
    });
  });
}

test("new backup codes replace the old ones and can be copied", async ({ page, request, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const who = await account(request, "regen");
  await signIn(page, who.email);
  await expect(page).toHaveURL(/\/account$/);
  const { totp, backupCodes } = await enableOnPage(page);
  await page.getByRole("link", { name: "I have saved my codes" }).click();

  await page.getByLabel("Code from your authenticator app").fill(totp.generate({ timestamp: Date.now() + 30_000 }));
  await page.getByRole("button", { name: "Make new backup codes" }).click();
  await expect(page.getByRole("heading", { name: "Save your backup codes" })).toBeVisible();
  const fresh = await page.getByTestId("backup-codes").locator("code").allTextContents();
  expect(fresh).toHaveLength(10);
  // The codes, their actions and the header fit a 360 px wide screen.
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
  expect(fresh).not.toContain(backupCodes[0]);

  await page.getByRole("button", { name: "Copy" }).click();
  await expect(page.getByRole("button", { name: "Copied" })).toBeVisible();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  for (const code of fresh) expect(copied).toContain(code);

  // An old code no longer signs in; a new one does.
  await signOut(page);
  await signIn(page, who.email);
  await page.getByRole("link", { name: "Use a backup code instead" }).click();
  await page.getByLabel("Backup code").fill(backupCodes[0]);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("alert")).toContainText("code is wrong");
  await page.getByLabel("Backup code").fill(fresh[0]);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(/\/account$/);
});
