/**
 * The example app in headless Chromium (the demo's launcher: Debian's `chromium`, driven by
 * playwright-core): sign in, count, a second device, revoke it with the server action,
 * log out; the cookies the browser kept are the secure defaults on http://localhost.
 */
import { chromiumMissing, launchChromium } from '@tessera/demo/test/chromium';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const next = inject('next');
const missing = !next || chromiumMissing();

async function signIn(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(url);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#login button[type=submit]');
  // router.refresh() re-renders the server component with the new cookie.
  await expect.poll(() => page.locator('#user').textContent()).toBe(username);
}

describe.skipIf(missing)('Next.js example in Chromium', () => {
  let browser: Browser;
  let laptop: BrowserContext;
  let phone: BrowserContext;
  beforeAll(async () => {
    browser = await launchChromium();
    laptop = await browser.newContext({ userAgent: 'Laptop (Chromium, next A)' });
    phone = await browser.newContext({ userAgent: 'Phone (Chromium, next B)' });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('signs in, counts, revokes the other device with a server action, logs out', async () => {
    const url = next?.url ?? '';
    const a = await laptop.newPage();
    await signIn(a, url, 'alice', 'wonderland');
    await a.click('#count button');
    await expect.poll(() => a.textContent('#counter')).toBe('1');
    await a.click('#count button');
    await expect.poll(() => a.textContent('#counter')).toBe('2');
    await a.reload(); // the count is in the session, not only in the page
    expect(await a.textContent('#counter')).toBe('2');

    const jar = await laptop.cookies();
    expect(jar.map((c) => c.name)).toEqual(['__Host-sid']); // login cleared the pre-session cookie
    expect(jar[0]).toMatchObject({
      httpOnly: true,
      secure: true,
      sameSite: 'Lax',
      path: '/',
      domain: 'localhost',
      expires: -1,
    });

    const b = await phone.newPage();
    await signIn(b, url, 'alice', 'wonderland');
    await a.reload();
    // The API tests sign alice in elsewhere too: count this test's two browsers.
    const browsers = a.locator('#devices tbody tr', { hasText: 'Chromium, next' });
    expect(await browsers.count()).toBe(2);
    expect(await a.locator('#devices tbody tr', { hasText: 'this device' }).textContent()).toContain(
      'Laptop',
    );

    await a.click('#devices tbody tr:has-text("Phone") button.danger'); // the server action
    await expect.poll(() => browsers.count()).toBe(1);

    // The phone learns it on its next request: the sign-in form.
    await b.reload();
    expect(await b.locator('#login').count()).toBe(1);

    await a.click('#logout button');
    await expect.poll(() => a.locator('#login').count()).toBe(1);
    expect((await laptop.cookies()).find((c) => c.name === '__Host-sid')).toBeUndefined();
  });
});
