/**
 * Opens a report in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
 * and reads back what a person would see: per chart, the SVG's rendered size and how many
 * items its main layer drew; console errors and page errors; every request the page tried
 * beyond its own file (each is blocked and recorded). Saves a full-page screenshot.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { ROOT } from './paths.js';

export const CHROMIUM = '/usr/bin/chromium';
/** Where browser tests leave their screenshots (kept after the run, ignored by git). */
export const OUTPUT_DIR = `${ROOT}test-output/`;

export interface ChartSeen {
  readonly id: string;
  readonly expected: number;
  readonly marks: number;
  readonly width: number;
  readonly height: number;
}

export interface PageSeen {
  readonly title: string;
  readonly charts: readonly ChartSeen[];
  readonly tables: number;
  readonly missing: readonly string[];
  readonly errors: readonly string[];
  readonly requests: readonly string[];
}

/** Throws with the install hint when Debian's chromium is not installed. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: the report's browser test needs Debian's chromium (apt-get install -y chromium; .ci/run installs it)`,
    );
}

export async function openReport(file: string, screenshot: string): Promise<PageSeen> {
  requireChromium();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const url = pathToFileURL(file).href;
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.route('**/*', (route) => {
      if (route.request().url() === url) return route.continue();
      requests.push(route.request().url());
      return route.abort();
    });
    await page.goto(url, { waitUntil: 'load' });
    // Runs in the page (a string: this project's TypeScript has no DOM types).
    const seen = (await page.evaluate(`(() => ({
      title: document.title,
      charts: [...document.querySelectorAll('figure.chart')].map((figure) => {
        const box = figure.querySelector('svg')?.getBoundingClientRect();
        return {
          id: figure.id,
          expected: Number(figure.getAttribute('data-marks')),
          marks: figure.querySelectorAll('g.main_marks > *').length,
          width: box ? box.width : 0,
          height: box ? box.height : 0,
        };
      }),
      tables: document.querySelectorAll('section.table table').length,
      missing: [...document.querySelectorAll('#missing li')].map((li) => li.textContent || ''),
    }))()`)) as Omit<PageSeen, 'errors' | 'requests'>;
    mkdirSync(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    return { ...seen, errors, requests };
  } finally {
    await browser.close();
  }
}

/** What every report must show in the browser. */
export function assertCharts(seen: PageSeen, ids: readonly string[]): void {
  assert.deepEqual(seen.errors, [], 'no console or page errors');
  assert.deepEqual(seen.requests, [], 'no request beyond the report itself');
  for (const id of ids)
    assert.ok(
      seen.charts.some((c) => c.id === id),
      `chart ${id} is there (got ${seen.charts.map((c) => c.id).join(', ')})`,
    );
  for (const chart of seen.charts) {
    assert.ok(chart.width > 100 && chart.height > 100, `${chart.id}: a visible SVG`);
    assert.ok(chart.expected > 0, `${chart.id}: promises marks`);
    assert.equal(chart.marks, chart.expected, `${chart.id}: marks drawn`);
  }
}
