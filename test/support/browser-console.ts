import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { build } from 'vite';

export const PHONE_390 = { width: 390, height: 800 };
export const WIDE = { width: 1280, height: 820 };

const projectRoot = path.resolve(import.meta.dirname, '../..');
export const screenshotDir = path.join(projectRoot, 'screenshots');

/** Builds the console from source into a temporary directory, so a test sees the console as it is now. */
export async function buildConsole(): Promise<string> {
  const distDir = mkdtempSync(path.join(tmpdir(), 'wps-agent-console-'));
  // vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: path.join(projectRoot, 'web/vite.config.ts'),
      mode: 'production',
      build: { outDir: distDir, emptyOutDir: true, sourcemap: false },
      logLevel: 'warn',
    });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  mkdirSync(screenshotDir, { recursive: true });
  return distDir;
}

/** Opens the console at `url` and signs in with `apiKey`. */
export async function signIn(page: Page, url: string, apiKey: string): Promise<void> {
  await page.goto(url);
  await page.getByTestId('sign-in-key').fill(apiKey);
  await page.keyboard.press('Enter');
  await page.getByTestId('user-name').waitFor();
}

/** Screenshots of the page as it is, at 390 px and wide, into screenshots/<name>-{phone,wide}.png. */
export async function screenshotBoth(page: Page, name: string): Promise<void> {
  for (const [label, viewport] of [
    ['wide', WIDE],
    ['phone', PHONE_390],
  ] as const) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: path.join(screenshotDir, `${name}-${label}.png`) });
  }
  await page.setViewportSize(WIDE);
}
