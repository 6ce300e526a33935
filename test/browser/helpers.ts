/**
 * Driving the web UI in the machine's Chromium (playwright-core, no browser download): launching,
 * logging in through the form, screenshots under test-results/screenshots, and the checks every screen
 * must pass (every control has a name, nothing is requested from another origin, no script errors).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { HttpClient } from '../helpers/api-client';

export const SCREENSHOT_DIR = path.resolve(__dirname, '..', '..', 'test-results', 'screenshots');
export const TOKEN_KEY = 'bms-docsync.session';
/** A laptop screen. */
export const VIEWPORT = { width: 1366, height: 768 };

export function chromiumPath(): string {
  const found = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(found)) throw new Error(`Chromium not found at ${found}: install the Debian package chromium or set CHROMIUM_PATH`);
  return found;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // The tests load only the app's own pages; the sandbox cannot run as root (CI) nor in many containers.
    chromiumSandbox: false,
  });
}

/** What a page did that it must not: requests to other origins, script errors, CSP violations. */
export interface PageWatch {
  foreignRequests: string[];
  errors: string[];
}

export async function openPage(browser: Browser, baseUrl: string): Promise<{ context: BrowserContext; page: Page; watch: PageWatch }> {
  const context = await browser.newContext({ viewport: VIEWPORT, baseURL: baseUrl, locale: 'en-GB', timezoneId: 'UTC' });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  const watch: PageWatch = { foreignRequests: [], errors: [] };
  const origin = new URL(baseUrl).origin;
  page.on('request', (req) => {
    const url = req.url();
    // blob: URLs of the app's own origin are exports the page downloads (fetched from the API first).
    if (!url.startsWith(`${origin}/`) && !url.startsWith(`blob:${origin}/`) && !url.startsWith('data:') && url !== 'about:blank') watch.foreignRequests.push(url);
  });
  page.on('pageerror', (err) => watch.errors.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) watch.errors.push(`console: ${msg.text()}`);
  });
  return { context, page, watch };
}

export function assertClean(watch: PageWatch): void {
  assert.deepEqual(watch.foreignRequests, [], 'the UI requests nothing from other origins');
  assert.deepEqual(watch.errors, [], 'no script errors or Content-Security-Policy violations');
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Logs in through the form with the keyboard only (type, Tab, Enter). */
export async function logIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/');
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await page.getByLabel('Email').focus();
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
}

/** The session token the page holds (sessionStorage), or null. */
export async function sessionToken(page: Page): Promise<string | null> {
  return (await page.evaluate(`sessionStorage.getItem(${JSON.stringify(TOKEN_KEY)})`)) as string | null;
}

/** The API as the person logged in to this page (their session token). */
export async function apiAs(page: Page, baseUrl: string): Promise<HttpClient> {
  const token = await sessionToken(page);
  assert.ok(token, 'logged in');
  return new HttpClient(baseUrl, token);
}

/** Goes to a page of the app through its menu (client-side navigation, as a person would). */
export async function menu(page: Page, name: string): Promise<void> {
  const link = page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name, exact: true });
  const href = await link.getAttribute('href');
  const moving = new URL(page.url()).pathname !== href;
  await link.click();
  // After moving to another page, its heading has the focus (announced by screen readers).
  if (moving) await page.locator('#page-heading:focus').waitFor();
}

// Runs in the page (the root tsconfig has no DOM types, so it is plain JavaScript).
const UNNAMED_CONTROLS = `(() => {
  const out = [];
  for (const el of document.querySelectorAll('input, select, textarea, button')) {
    if (el.type === 'hidden') continue;
    const byLabelledBy = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).some((id) => document.getElementById(id)?.textContent?.trim());
    const named = (el.labels && el.labels.length > 0) || el.getAttribute('aria-label')?.trim() || byLabelledBy || (el.tagName === 'BUTTON' && el.textContent.trim());
    if (!named) out.push(el.outerHTML.slice(0, 120));
  }
  return out;
})()`;

/** Every form control and button on the page has an accessible name. */
export async function assertControlsNamed(page: Page): Promise<void> {
  assert.deepEqual(await page.evaluate(UNNAMED_CONTROLS), [], 'every control has a name');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Waits until the element's whole text is `text`. */
export async function waitForExactText(page: Page, testId: string, text: string, timeout = 20_000): Promise<void> {
  await page
    .getByTestId(testId)
    .filter({ hasText: new RegExp(`^\\s*${escapeRegExp(text)}\\s*$`) })
    .waitFor({ timeout });
}
