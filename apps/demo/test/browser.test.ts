/**
 * End to end in headless Chromium (Debian's `chromium`, driven by playwright-core): the pages,
 * two devices, revoking one, logging out, and the cookie attributes the browser actually kept.
 * Screenshots of the signed-in page go to test-results/screenshots/ (printed at the end).
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Framework } from '../src/config.js';
import { chromiumMissing, launchChromium } from './chromium.js';
import { type RunningDemo, startDemo } from './demo.js';

const SHOTS = fileURLToPath(new URL('../test-results/screenshots/', import.meta.url));
/** The README's picture; rewritten only when missing or with UPDATE_SCREENSHOT=1. */
const README_SHOT = fileURLToPath(new URL('../screenshot.png', import.meta.url));
const VIEWPORT = { width: 1000, height: 700 };

const missing = chromiumMissing();

let browser: Browser | undefined;
beforeAll(async () => {
  if (missing) return;
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  if (!missing) console.info(`[demo] browser screenshots: ${SHOTS}`);
});

/** Run a form's API call; the page's script reloads on success, so wait for that load. */
async function submit(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForEvent('load'), page.click(selector)]);
}

async function signIn(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(url);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await submit(page, '#login button[type=submit]');
  expect(await page.textContent('#user')).toBe(username);
}

describe.skipIf(missing).each<Framework>(['hono', 'express', 'fastify'])(
  'demo in Chromium on %s',
  (framework) => {
    let demo: RunningDemo;
    let laptop: BrowserContext;
    let phone: BrowserContext;
    beforeAll(async () => {
      demo = await startDemo(framework);
      if (!browser) throw new Error('browser did not start');
      laptop = await browser.newContext({ viewport: VIEWPORT, userAgent: 'Laptop (Chromium, test A)' });
      phone = await browser.newContext({ viewport: VIEWPORT, userAgent: 'Phone (Chromium, test B)' });
    });
    afterAll(async () => {
      await laptop?.close();
      await phone?.close();
      await demo?.close();
    });

    it('signs in, counts, revokes the other device, logs out; cookies are the secure defaults', async () => {
      const a = await laptop.newPage();
      await a.goto(demo.url);
      expect(await a.title()).toContain('Sign in');
      // The login form's pre-session CSRF cookie is secure too.
      const pre = (await laptop.cookies()).find((c) => c.name === '__Host-csrf');
      expect(pre).toMatchObject({
        httpOnly: true,
        secure: true,
        sameSite: 'Lax',
        path: '/',
        domain: 'localhost',
      });

      await signIn(a, demo.url, 'alice', 'wonderland');
      await submit(a, '#count button');
      await submit(a, '#count button');
      expect(await a.textContent('#counter')).toBe('2');

      const jar = await laptop.cookies();
      // Host-only (no Domain attribute: the exact host, no leading dot), a browser-session cookie.
      expect(jar.find((c) => c.name === '__Host-sid')).toMatchObject({
        httpOnly: true,
        secure: true,
        sameSite: 'Lax',
        path: '/',
        domain: 'localhost',
        expires: -1,
      });
      expect(jar.map((c) => c.name)).toEqual(['__Host-sid']); // login cleared the pre-session cookie

      const b = await phone.newPage();
      await signIn(b, demo.url, 'alice', 'wonderland');
      await a.reload();
      expect(await a.locator('#devices tbody tr').count()).toBe(2);
      expect(await a.locator('#devices tbody tr', { hasText: 'this device' }).textContent()).toContain(
        'Laptop',
      );

      const shot = `${SHOTS}${framework}-signed-in.png`;
      await a.screenshot({ path: shot });
      if (framework === 'hono' && (!existsSync(README_SHOT) || process.env.UPDATE_SCREENSHOT === '1')) {
        copyFileSync(shot, README_SHOT);
      }

      await submit(a, '#devices tbody tr:has-text("Phone") button.danger');
      expect(await a.locator('#devices tbody tr').count()).toBe(1);

      // The phone learns it on its next request: back to the sign-in form, its cookie expired.
      await b.reload();
      expect(await b.locator('#login').count()).toBe(1);
      expect((await phone.cookies()).find((c) => c.name === '__Host-sid')).toBeUndefined();

      await submit(a, '#logout button');
      expect(await a.locator('#login').count()).toBe(1);
      expect((await laptop.cookies()).find((c) => c.name === '__Host-sid')).toBeUndefined();
    });

    it('after 5 wrong passwords the page says how long to wait, in words', async () => {
      const context = await browser!.newContext({ viewport: VIEWPORT });
      try {
        const page = await context.newPage();
        await page.goto(demo.url);
        await page.fill('#username', 'bob');
        for (let i = 0; i < 6; i++) {
          await page.fill('#password', `wrong-${i}`);
          await Promise.all([
            page.waitForResponse((r) => r.url().endsWith('/api/login')),
            page.click('#login button[type=submit]'),
          ]);
        }
        await expect
          .poll(() => page.textContent('#error'))
          .toBe('Too many failed sign-ins for this account. Try again in 1 minute.');
      } finally {
        await context.close();
      }
    });
  },
);
