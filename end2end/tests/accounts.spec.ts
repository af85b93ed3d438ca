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

      await page.getByRole("link", { name: "See activity" }).click();
      const events = page.getByTestId("events");
      await expect(events).toContainText("Signed in");
      await expect(events).toContainText("Account created");
      await page.goto("/account");

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

test("see devices, sign another one out, change the password", async ({ page, request }, testInfo) => {
  const who = person("devices");
  await register(page, who);
  // The device-name field suggests a name read from the user agent.
  const deviceName = page.getByLabel("Name this device");
  await expect(deviceName).toHaveAttribute("placeholder", "Chrome on Linux");
  await deviceName.fill("Kitchen laptop");
  await signIn(page, who.email);
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId("signed-in-as")).toHaveText(who.username);

  // A second device: an API client signing in.
  const api = await request.post("/api/auth/login", {
    data: { email: who.email, password, device_name: "Build server" },
  });
  const { access_token } = await api.json();

  await page.goto("/account/sessions");
  const devices = page.getByTestId("devices").getByRole("listitem");
  await expect(devices).toHaveCount(2);
  await expect(page.locator(".device--current")).toContainText("Kitchen laptop");
  await expect(page.locator(".device--current")).toContainText("This device");
  const other = devices.filter({ hasText: "Build server" });
  await page.screenshot({ path: testInfo.outputPath("devices.png"), fullPage: true });
  await other.getByRole("button", { name: "Sign out this device" }).click();
  await expect(devices).toHaveCount(1);
  const me = await request.get("/api/auth/me", { headers: { Authorization: `Bearer ${access_token}` } });
  expect(me.status()).toBe(401);

  await page.goto("/account/password");
  const newPassword = "Amber-Canyon-River-77";
  await page.getByLabel("Current password", { exact: true }).fill("Wrong-Password-123");
  await page.getByLabel("New password", { exact: true }).fill(newPassword);
  await page.getByLabel("Confirm the new password").fill(newPassword);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.locator("#current_password-error")).toHaveText("That is not your current password.");

  await page.getByLabel("Current password", { exact: true }).fill(password);
  // Long enough for the browser's own check, so the server's policy speaks.
  await page.getByLabel("New password", { exact: true }).fill("no-uppercase-here-42");
  await page.getByLabel("Confirm the new password").fill("no-uppercase-here-42");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.locator("#new_password-error")).toContainText("uppercase letter");

  await page.getByLabel("Current password", { exact: true }).fill(password);
  await page.getByLabel("New password", { exact: true }).fill(newPassword);
  await page.getByLabel("Confirm the new password").fill(newPassword);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("status")).toContainText("Password changed");
  await page.screenshot({ path: testInfo.outputPath("password-changed.png"), fullPage: true });

  await page.goto("/account");
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await signIn(page, who.email, newPassword);
  await expect(page).toHaveURL(/\/account$/);
});

test("sign in with the keyboard alone", async ({ page }) => {
  const who = person("keys");
  await register(page, who);
  await page.goto("/login");
  // From the top of the page: the skip link, then the header's links, then
  // the form; Tab until the email field has focus, as a keyboard user would.
  await page.keyboard.press("Tab");
  await expect(page.getByRole("link", { name: "Skip to content" })).toBeFocused();
  for (let step = 0; step < 10; step++) {
    if (await page.getByLabel("Email").evaluate((el) => el === document.activeElement)) break;
    await page.keyboard.press("Tab");
  }
  await expect(page.getByLabel("Email")).toBeFocused();
  await page.keyboard.type(who.email);
  await page.keyboard.press("Tab");
  await expect(page.getByLabel("Password")).toBeFocused();
  await page.keyboard.type(password);
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/account$/);
});
