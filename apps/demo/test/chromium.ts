/**
 * Headless Chromium for the browser tests (Debian's `chromium`, driven by playwright-core):
 * the binary, the flags that keep it off the network, and the skip when it is not installed.
 * Shared by this demo's browser test and apps/examples/next's.
 */
import { existsSync } from 'node:fs';
import { serviceMissing } from '@tessera/test-support';
import { type Browser, chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** True (skip the suite) when Chromium is not installed, with the loud line; throws under CI=true. */
export function chromiumMissing(): boolean {
  return !existsSync(CHROMIUM) && serviceMissing('chromium', 'apt-get install chromium');
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30_000 });
}
