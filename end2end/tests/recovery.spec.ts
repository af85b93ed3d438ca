import { test, expect, type Page } from "@playwright/test";
import { account, password } from "./support";

const newPassword = "Amber-Canyon-River-77";

/**
 * Opens the newest email to `email` whose subject matches, in the
 * development mailbox, and follows its link as a person would. Mail is
 * delivered by a background worker, so the page is reloaded until it is in.
 */
async function followEmailLink(page: Page, email: string, subject: RegExp, linkPath: string) {
  const message = page
    .getByTestId("mailbox")
    .getByRole("listitem")
    .filter({ hasText: email })
    .filter({ has: page.getByRole("heading", { name: subject }) })
    .first();
  await expect(async () => {
    await page.goto("/dev/mailbox");
    await expect(message).toBeVisible({ timeout: 500 });
  }).toPass({ timeout: 10_000 });
  await message.locator(`a[href*="${linkPath}"]`).first().click();
}

for (const javaScript of [true, false]) {
  const mode = javaScript ? "with JavaScript" : "without JavaScript";

  test.describe(mode, () => {
    test.use({ javaScriptEnabled: javaScript });

    test(`forgot password → mailbox → reset → sign in (${mode})`, async ({ page, request }, testInfo) => {
      const who = await account(request, javaScript ? "resetjs" : "resetnojs");
      await page.goto("/login");
      await page.getByRole("link", { name: "Forgot your password?" }).click();
      await expect(page).toHaveURL(/\/forgot-password$/);
      await page.getByLabel("Email").fill(who.email);
      await page.getByRole("button", { name: "Send the link" }).click();
      await expect(page.getByTestId("reset-sent")).toContainText("If an account exists");

      await followEmailLink(page, who.email, /Reset your .* password/, "/reset-password?token=");
      await page.screenshot({ path: testInfo.outputPath("mailbox-link.png"), fullPage: true });
      await expect(page).toHaveURL(/\/reset-password\?token=/);
      const resetUrl = page.url();

      // The policy speaks first; the link is not spent by a refused password.
      await page.getByLabel("New password", { exact: true }).fill("no-uppercase-here-42");
      await page.getByLabel("Confirm the new password").fill("no-uppercase-here-42");
      await page.getByRole("button", { name: "Set the new password" }).click();
      await expect(page.locator("#new_password-error")).toContainText("uppercase letter");

      await page.getByLabel("New password", { exact: true }).fill(newPassword);
      await page.getByLabel("Confirm the new password").fill(newPassword);
      await page.getByRole("button", { name: "Set the new password" }).click();
      await expect(page).toHaveURL(/\/login\?reset=1/);
      await expect(page.getByRole("status")).toContainText("Your password is changed");

      await page.getByLabel("Email").fill(who.email);
      await page.getByLabel("Password").fill(newPassword);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page).toHaveURL(/\/account$/);
      await page.screenshot({ path: testInfo.outputPath("signed-in-after-reset.png"), fullPage: true });

      // The link worked once.
      await page.goto(resetUrl);
      await page.getByLabel("New password", { exact: true }).fill("Second-Try-Harbor-88");
      await page.getByLabel("Confirm the new password").fill("Second-Try-Harbor-88");
      await page.getByRole("button", { name: "Set the new password" }).click();
      await expect(page.getByRole("alert")).toContainText("invalid, expired or was already used");
      await expect(page.getByRole("alert")).toBeFocused();
      await expect(page.getByRole("link", { name: "Send me a new link" })).toBeVisible();
    });
  });
}

test("confirm the email address from the account page's link", async ({ page, request }, testInfo) => {
  const who = await account(request, "verify");
  await page.goto("/login");
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId("email-status")).toHaveText("not confirmed yet");
  await page.getByRole("button", { name: "Send the confirmation link again" }).click();
  await expect(page.getByRole("status")).toContainText("new confirmation link");

  await followEmailLink(page, who.email, /Confirm your email address/, "/verify-email?token=");
  await page.getByRole("button", { name: "Confirm my email address" }).click();
  await expect(page.getByTestId("email-verified")).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath("email-confirmed.png"), fullPage: true });
  await page.goto("/account");
  await expect(page.getByTestId("email-status")).toHaveText("confirmed");
});
