import { test, expect, type Page, type APIRequestContext } from "@playwright/test";
import { account, signIn } from "./support";

async function signedIn(page: Page, email: string) {
  await signIn(page, email);
  await expect(page).toHaveURL(/\/account$/);
}

async function me(request: APIRequestContext, token: string) {
  return request.get("/api/auth/me", { headers: { Authorization: `Bearer ${token}` } });
}

for (const javaScript of [true, false]) {
  const mode = javaScript ? "with JavaScript" : "without JavaScript";

  test.describe(mode, () => {
    test.use({ javaScriptEnabled: javaScript });

    test(`make an API token, see it once, use it, revoke it (${mode})`, async (
      { page, request },
      testInfo,
    ) => {
      const who = await account(request, javaScript ? "patjs" : "patnojs");
      await signedIn(page, who.email);
      await page.getByRole("link", { name: "Manage API tokens" }).click();
      await expect(page).toHaveURL(/\/account\/tokens$/);
      await expect(page.getByTestId("api-tokens-empty")).toBeVisible();

      await page.getByLabel("Name").fill("CI deploy");
      await page.getByLabel("Expires after").selectOption("90");
      await expect(page.getByRole("checkbox", { name: /profile:read/ })).toBeChecked();
      await page.getByRole("button", { name: "Make token" }).click();

      await expect(page.getByRole("heading", { name: "Copy your new token" })).toBeVisible();
      const token = (await page.getByTestId("new-api-token").textContent())!.trim();
      expect(token).toMatch(/^gatehouse_pat_[a-z2-7]{52}$/);
      await page.screenshot({ path: testInfo.outputPath("new-api-token.png"), fullPage: true });

      const profile = await me(request, token);
      expect(profile.status()).toBe(200);
      expect((await profile.json()).username).toBe(who.username);

      // Shown once: the next visit lists the token by name and last four characters.
      await page.getByRole("link", { name: "I have saved it" }).click();
      await expect(page.getByTestId("new-api-token")).toHaveCount(0);
      const listed = page.getByTestId("api-token");
      await expect(listed).toHaveCount(1);
      await expect(listed).toContainText("CI deploy");
      await expect(listed).toContainText(`…${token.slice(-4)}`);
      await expect(listed).toContainText("last used");
      expect(await page.content()).not.toContain(token);

      await page.getByRole("button", { name: "Revoke CI deploy" }).click();
      await expect(page.getByTestId("api-tokens-empty")).toBeVisible();
      expect((await me(request, token)).status()).toBe(401);
    });
  });
}
