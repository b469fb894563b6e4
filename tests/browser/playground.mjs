#!/usr/bin/env node
// Headless-browser check of Pépite's GraphQL playground, with no access to
// any host but the server under test.
//
//   node tests/browser/playground.mjs http://127.0.0.1:PORT/graphql EXPECTED_TEXT [TOKEN]
//
// Env: SCREENSHOT=path.png  (optional) where to save a screenshot
//      CHROMIUM=path        (optional) browser binary, default /usr/bin/chromium
//      TIMEOUT_MS=n         (optional) per-step timeout, default 30000
//
// Exits 0 when the page loaded, GraphiQL rendered with the server's default
// query, the run button produced a result containing EXPECTED_TEXT, the
// header typed in GraphiQL's headers editor reached the server, and no
// uncaught exception, failed asset or request to another host happened.
// With TOKEN, it also runs a subscription in the playground (over its WebSocket),
// creates a company with that token, and waits for the change in the result pane.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [url, expected, token] = process.argv.slice(2);
if (!url || expected === undefined || expected === '') {
  console.error('usage: node tests/browser/playground.mjs http://127.0.0.1:PORT/graphql EXPECTED_TEXT');
  process.exit(2);
}

const TIMEOUT = Number(process.env.TIMEOUT_MS || 30000);
const SCREENSHOT = process.env.SCREENSHOT || '';
const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';
const pageUrl = new URL(url);
const pageHost = pageUrl.host; // host[:port]
// A header set through GraphiQL's headers editor; the test checks it is sent.
const HEADER_NAME = 'X-Pepite-Playground-Check';
const HEADER_VALUE = `check-${process.pid}-${Date.now()}`;

const blocked = []; // requests to other hosts, aborted
const pageErrors = []; // uncaught exceptions
const consoleMessages = []; // console errors and warnings
const failedRequests = []; // network failures and HTTP errors on own host
const graphqlPosts = []; // POST bodies and headers sent to the endpoint
const socketMessages = []; // messages the page sent over WebSockets
const problems = []; // reasons to fail

const isOwnHost = (u) => {
  try {
    const parsed = new URL(u);
    if (parsed.protocol === 'data:' || parsed.protocol === 'blob:' || parsed.protocol === 'about:') return true;
    return parsed.host === pageHost;
  } catch {
    return false;
  }
};

const userDataDir = mkdtempSync(join(tmpdir(), 'pepite-chromium-'));
let context;
let page;
let resultText = '';
let exitCode = 1;

try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: EXECUTABLE,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
    timeout: TIMEOUT,
  });

  // Every request of every page goes through here: other hosts are refused.
  await context.route('**/*', async (route) => {
    const reqUrl = route.request().url();
    if (isOwnHost(reqUrl)) return route.continue();
    blocked.push(`${route.request().method()} ${reqUrl}`);
    return route.abort('blockedbyclient');
  });
  // WebSockets are not seen by route(); refuse those to other hosts as well.
  // Those to this host are relayed, recording what the page sends.
  await context.routeWebSocket(/.*/, (ws) => {
    if (!isOwnHost(ws.url().replace(/^ws/, 'http'))) {
      blocked.push(`WEBSOCKET ${ws.url()}`);
      return ws.close();
    }
    const server = ws.connectToServer();
    ws.onMessage((message) => {
      socketMessages.push(String(message));
      server.send(message);
    });
  });

  page = context.pages()[0] || (await context.newPage());
  page.setDefaultTimeout(TIMEOUT);

  page.on('pageerror', (err) => pageErrors.push(err.stack || String(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') {
      consoleMessages.push(`[${msg.type()}] ${msg.text()}`);
    }
  });
  page.on('requestfailed', (req) => {
    if (!isOwnHost(req.url())) return; // already counted as blocked
    failedRequests.push(`${req.method()} ${req.url()}: ${req.failure()?.errorText}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && isOwnHost(res.url())) {
      failedRequests.push(`${res.request().method()} ${res.url()}: HTTP ${res.status()}`);
    }
  });
  page.on('request', (req) => {
    if (req.method() === 'POST' && isOwnHost(req.url()) && new URL(req.url()).pathname === pageUrl.pathname) {
      graphqlPosts.push({ headers: req.headers(), body: req.postData() || '' });
    }
  });

  // 1. The page itself: a navigation sends a browser Accept header (text/html).
  const response = await page.goto(url, { waitUntil: 'load' });
  if (!response) throw new Error(`no response for ${url}`);
  const ctype = response.headers()['content-type'] || '';
  if (!response.ok() || !ctype.includes('text/html')) {
    throw new Error(`GET ${url} with a browser Accept header gave HTTP ${response.status()} (${ctype}), not an HTML page`);
  }
  const title = await page.title();

  // 2. GraphiQL rendered, with the server's default query in the editor.
  const queryEditor = page.locator('.graphiql-query-editor .CodeMirror').first();
  await queryEditor.waitFor({ state: 'visible' }).catch(() => {
    throw new Error('the GraphiQL query editor (.graphiql-query-editor .CodeMirror) did not appear');
  });
  const query = await queryEditor.evaluate((el) => (el.CodeMirror ? el.CodeMirror.getValue() : el.innerText));
  if (!query.trim() || query.includes('Welcome to GraphiQL')) {
    problems.push(`the query editor does not hold the server's default query, it holds: ${JSON.stringify(query.slice(0, 200))}`);
  }

  // 3. Put a header in GraphiQL's headers editor, as a user would for
  //    "Authorization: Bearer ...", and check the fetcher sends it.
  await page.getByRole('button', { name: /^headers$/i }).first().click();
  // The tools section holds the variables and headers editors; the inactive one has class "hidden".
  const headersEditor = page
    .locator('section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden) .CodeMirror')
    .first();
  await headersEditor.waitFor({ state: 'visible' });
  await headersEditor.evaluate(
    (el, json) => el.CodeMirror.setValue(json),
    JSON.stringify({ [HEADER_NAME]: HEADER_VALUE }, null, 2),
  );

  // 4. Run the query and wait for the expected text in the result pane.
  const postsBefore = graphqlPosts.length;
  await page.locator('button.graphiql-execute-button').click();
  const readResult = () =>
    page
      .locator('.result-window')
      .first()
      .evaluate((el) => {
        const cm = el.querySelector('.CodeMirror');
        return cm && cm.CodeMirror ? cm.CodeMirror.getValue() : el.innerText;
      })
      .catch(() => '');
  const deadline = Date.now() + TIMEOUT;
  while (Date.now() < deadline) {
    resultText = await readResult();
    if (resultText.includes(expected)) break;
    await page.waitForTimeout(200);
  }
  if (!resultText.includes(expected)) {
    problems.push(`the result pane did not contain ${JSON.stringify(expected)} within ${TIMEOUT} ms`);
  }

  const runPosts = graphqlPosts.slice(postsBefore).filter((p) => !p.body.includes('__schema'));
  if (runPosts.length === 0) {
    problems.push(`clicking the run button sent no POST to ${pageUrl.pathname}`);
  } else if (!runPosts.some((p) => p.headers[HEADER_NAME.toLowerCase()] === HEADER_VALUE)) {
    problems.push(`the header set in GraphiQL's headers editor (${HEADER_NAME}) was not sent with the query`);
  }

  // 5. A subscription runs in the playground over the WebSocket, and shows a change made meanwhile.
  if (token) {
    const slug = `playground-live-${process.pid}`;
    await queryEditor.evaluate(
      (el, text) => el.CodeMirror.setValue(text),
      'subscription Live { changes(kinds: [COMPANY]) { operation slug } }',
    );
    await page.locator('button.graphiql-execute-button').click();
    const subscribed = () => socketMessages.some((m) => m.includes('"subscribe"'));
    for (const until = Date.now() + TIMEOUT; !subscribed() && Date.now() < until; ) await page.waitForTimeout(100);
    if (!subscribed()) throw new Error('the playground sent no subscription over a WebSocket');
    // The server starts following the log as the subscription starts; give it a moment.
    await page.waitForTimeout(300);
    const created = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: 'mutation($slug: String!) { createCompany(input: {slug: $slug, name: "Live", stage: SME, lang: en}) { slug } }',
        variables: { slug },
      }),
    }).then((r) => r.json());
    if (created.errors) throw new Error(`createCompany failed: ${JSON.stringify(created.errors)}`);
    const until = Date.now() + TIMEOUT;
    let live = '';
    while (Date.now() < until) {
      live = await readResult();
      if (live.includes(slug) && live.includes('CREATED')) break;
      await page.waitForTimeout(200);
    }
    if (!live.includes(slug)) {
      problems.push(`the subscription's result pane did not show the change to ${slug}: ${JSON.stringify(live.slice(0, 500))}`);
    }
  }

  // Let late requests (fonts, images, ...) show up before judging.
  await page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => {});

  if (SCREENSHOT) await page.screenshot({ path: SCREENSHOT, fullPage: false });

  if (pageErrors.length) problems.push(`${pageErrors.length} uncaught exception(s) in the page`);
  if (blocked.length) problems.push(`${blocked.length} request(s) to another host than ${pageHost} were attempted (and blocked)`);
  if (failedRequests.length) problems.push(`${failedRequests.length} request(s) to ${pageHost} failed`);

  if (problems.length === 0) {
    console.log(`playground OK: "${title}" at ${url}, result contains ${JSON.stringify(expected)}, ` +
      `header from the headers editor sent, ${token ? 'a subscription showed a live change, ' : ''}` +
      `no request left ${pageHost}` +
      (consoleMessages.length ? ` (${consoleMessages.length} console warning/error message(s), see below)` : ''));
    for (const m of consoleMessages) console.log(`  console ${m}`);
    exitCode = 0;
  }
} catch (err) {
  problems.push(err && err.message ? err.message.split('\n')[0] : String(err));
  if (SCREENSHOT && page) await page.screenshot({ path: SCREENSHOT }).catch(() => {});
}

if (exitCode !== 0) {
  console.error(`playground FAILED for ${url}`);
  for (const p of problems) console.error(`  reason: ${p}`);
  const section = (name, items) => {
    if (!items.length) return;
    console.error(`  ${name}:`);
    for (const i of items) console.error(`    ${i}`);
  };
  section('uncaught exceptions', pageErrors);
  section('blocked requests to other hosts', blocked);
  section('failed requests', failedRequests);
  section('console errors/warnings', consoleMessages);
  console.error(`  result pane text: ${resultText ? JSON.stringify(resultText.slice(0, 2000)) : '(empty)'}`);
  if (SCREENSHOT) console.error(`  screenshot: ${SCREENSHOT}`);
}

if (context) await context.close().catch(() => {});
rmSync(userDataDir, { recursive: true, force: true });
// The plain closing line that CI reads as a test count.
console.log(exitCode === 0 ? '1 passed, 0 failed' : '0 passed, 1 failed');
process.exit(exitCode);
