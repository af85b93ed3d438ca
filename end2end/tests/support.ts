// What several specs share: the test password, a fresh account made
// through the API (registration has its own tests) and the sign-in form.
import { expect, type Page, type APIRequestContext } from "@playwright/test";

export const password = "Violet-Harbor-Lamp-42";

/** A fresh account whose username starts with `tag`. */
export async function account(request: APIRequestContext, tag: string) {
  const id = `${tag}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
  const who = { email: `${id}@example.com`, username: id };
  const registered = await request.post("/api/auth/register", { data: { ...who, password } });
  expect(registered.status()).toBe(201);
  return who;
}

/** Signs in through the /login page (where it goes next is the caller's). */
export async function signIn(page: Page, email: string) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}
