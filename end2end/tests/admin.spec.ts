import { test, expect } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const password = "Violet-Harbor-Lamp-42";

function person(tag: string) {
  const id = `${tag}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
  return { email: `${id}@example.com`, username: id };
}

/** Gives an account the admin role with the server's command line. */
function promote(email: string) {
  const workspace = process.env.GATEHOUSE_E2E_WORKSPACE!;
  execFileSync(join(workspace, "target/debug/server"), ["admin", "promote", "--email", email], {
    cwd: workspace,
    env: { PATH: process.env.PATH, DATA_DIR: process.env.GATEHOUSE_E2E_DATA_DIR },
  });
}

test("an administrator changes a user's roles; others get a 403", async ({ page, request }, testInfo) => {
  const admin = person("admin");
  const member = person("member");
  for (const who of [admin, member]) {
    const response = await request.post("/api/auth/register", { data: { ...who, password } });
    expect(response.status()).toBe(201);
  }
  promote(admin.email);

  // A viewer is refused with a real 403.
  await page.goto("/login");
  await page.getByLabel("Email").fill(member.email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/account$/);
  const refused = await page.goto("/admin/users");
  expect(refused?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible();
  await page.goto("/account");
  await page.getByRole("button", { name: "Sign out" }).click();

  await page.goto("/login");
  await page.getByLabel("Email").fill(admin.email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/account$/);

  await page.goto(`/admin/users?q=${member.username}`);
  const row = page.locator(`li[data-username="${member.username}"]`);
  await expect(row).toBeVisible();
  await row.getByLabel("editor").check();
  await row.getByRole("button", { name: "Save roles" }).click();
  await expect(row.getByLabel("editor")).toBeChecked();
  await page.screenshot({ path: testInfo.outputPath("admin-users.png"), fullPage: true });

  const login = await request.post("/api/auth/login", { data: { email: member.email, password } });
  const { access_token } = await login.json();
  const me = await (await request.get("/api/auth/me", { headers: { Authorization: `Bearer ${access_token}` } })).json();
  expect(me.roles).toEqual(["editor", "viewer"]);
});
