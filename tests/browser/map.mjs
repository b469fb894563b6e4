#!/usr/bin/env node
// Headless-browser check of examples/map.html, the Leaflet page that shows the directory on a
// map, against a running Pépite; and of its /geojson answer with a GeoJSON validator.
//
//   node tests/browser/map.mjs http://127.0.0.1:PORT EXPECTED_MARKERS
//
// Env: SCREENSHOT=path.png  (optional) where to save a screenshot
//      CHROMIUM=path        (optional) browser binary, default /usr/bin/chromium
//      TIMEOUT_MS=n         (optional) per-step timeout, default 30000
//
// The page is served by a web server of its own (another origin), as a map on a park's own site
// would be, so that its fetch of /geojson crosses origins as it does there. Leaflet's files, which the
// page takes from unpkg.com, are served from the leaflet npm package; map tiles are refused (the
// markers do not need them); any other request to another host fails the check. Exits 0 when
// /geojson passes @placemarkio/check-geojson and the page shows EXPECTED_MARKERS markers with no
// uncaught exception; 1 otherwise, with the reasons.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check } from '@placemarkio/check-geojson';
import { chromium } from 'playwright-core';

const [api, expectedText] = process.argv.slice(2);
const expected = Number(expectedText);
if (!api || !Number.isInteger(expected)) {
  console.error('usage: node tests/browser/map.mjs http://127.0.0.1:PORT EXPECTED_MARKERS');
  process.exit(2);
}
const TIMEOUT = Number(process.env.TIMEOUT_MS || 30000);
const here = dirname(fileURLToPath(import.meta.url));
const page_file = join(here, '../../examples/map.html');
const leaflet = join(here, 'node_modules/leaflet/dist');
const LEAFLET = 'https://unpkg.com/leaflet@1.9.4/dist/';
const TILES = 'https://tile.openstreetmap.org/';

const problems = [];
const pageErrors = [];
const blocked = [];
const failed = [];
const consoleErrors = [];

// 1. The collection the page shows, as GeoJSON (RFC 7946).
const answer = await fetch(`${api}/geojson?limit=10000`);
const text = await answer.text();
if (!answer.ok) problems.push(`GET /geojson: HTTP ${answer.status}: ${text.slice(0, 300)}`);
if (answer.headers.get('content-type') !== 'application/geo+json') {
  problems.push(`GET /geojson: content-type ${answer.headers.get('content-type')}`);
}
try {
  check(text);
} catch (err) {
  problems.push(`GET /geojson is not valid GeoJSON: ${JSON.stringify(err.issues || String(err))}`);
}

// 2. The page, from a web server of its own, in Chromium.
const site = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(readFileSync(page_file));
});
await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
const PAGE_ORIGIN = `http://127.0.0.1:${site.address().port}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
  timeout: TIMEOUT,
});
let markers = 0;
try {
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith(LEAFLET)) {
      return route.fulfill({ path: join(leaflet, new URL(url).pathname.slice('/leaflet@1.9.4/dist/'.length)) });
    }
    if (url.startsWith(`${api}/`) || url.startsWith(`${PAGE_ORIGIN}/`)) return route.continue();
    if (!url.startsWith(TILES)) blocked.push(url);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (err) => pageErrors.push(err.stack || String(err)));
  page.on('console', (msg) => msg.type() === 'error' && consoleErrors.push(msg.text()));
  page.on('requestfailed', (req) => {
    if (!req.url().startsWith(TILES)) failed.push(`${req.url()}: ${req.failure()?.errorText}`);
  });
  await page.goto(`${PAGE_ORIGIN}/map.html?api=${encodeURIComponent(api)}`, { waitUntil: 'load' });
  await page
    .waitForFunction((n) => document.querySelectorAll('.leaflet-marker-icon').length >= n, expected)
    .catch(() => {});
  markers = await page.locator('.leaflet-marker-icon').count();
  if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT });
} finally {
  await browser.close();
  site.close();
}
if (markers !== expected) problems.push(`the map shows ${markers} markers, not ${expected}`);
for (const error of pageErrors) problems.push(`uncaught exception: ${error}`);
for (const url of blocked) problems.push(`a request to another host: ${url}`);
for (const request of failed) problems.push(`a failed request: ${request}`);
if (problems.length) problems.push(...consoleErrors.map((text) => `console: ${text}`));

if (problems.length) {
  console.error(problems.join('\n'));
  console.log('0 passed, 1 failed');
  process.exit(1);
}
console.log(`${markers} markers shown; 1 passed, 0 failed`);
