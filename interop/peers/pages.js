// wskit page tests: the web pages of the ws command in Chromium
// (/usr/bin/chromium) driven by playwright-core. The Go test (pages_test.go)
// runs the servers; this script talks to it by lines: it prints "step NAME"
// and waits for the test to answer "done NAME" on stdin. Screenshots go to
// SHOTDIR. Any failed check exits 1 with a message on stderr.
//
//   node pages.js chat URL SHOTDIR      two chat pages (one narrow), a server
//                                       restart in between
//   node pages.js proxyui URL SHOTDIR   the live view of ws proxy --ui while
//                                       the test sends traffic through it
'use strict';
// How long a wait may take: the Go test's remaining time (WSKIT_WAIT_MS),
// so that a loaded machine slows the script down without failing it.
const waitMs = Number(process.env.WSKIT_WAIT_MS) || 60000;
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const { chromium } = require('playwright-core');

const rl = readline.createInterface({ input: process.stdin });
const answers = [];
let waiting = null;
rl.on('line', (l) => { if (waiting) { const w = waiting; waiting = null; w(l); } else answers.push(l); });
function nextLine() { return answers.length ? Promise.resolve(answers.shift()) : new Promise((r) => { waiting = r; }); }

// step asks the Go test to do something and waits until it is done.
async function step(name) {
  console.log('step ' + name);
  const l = await nextLine();
  if (l !== 'done ' + name) throw new Error('step ' + name + ': the test answered ' + JSON.stringify(l));
}

function check(ok, what) { if (!ok) throw new Error('check failed: ' + what); }

async function launch() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wskit-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return { ctx, cleanup: async () => { await ctx.close(); fs.rmSync(dir, { recursive: true, force: true }); } };
}

// watch records the console errors and failed requests of a page.
function watch(page, label) {
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(label + ' console: ' + m.text()); });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(label + ' HTTP ' + r.status() + ' ' + r.url()); });
  page.on('pageerror', (e) => problems.push(label + ' script error: ' + e.message));
  return problems;
}

const T = { timeout: waitMs };

async function chat(url, shots) {
  const { ctx, cleanup } = await launch();
  try {
    const a = await ctx.newPage();
    const b = await ctx.newPage();
    await a.setViewportSize({ width: 900, height: 600 });
    await b.setViewportSize({ width: 360, height: 640 }); // a phone
    const problems = [...[a, b].map((p, i) => watch(p, 'page ' + 'AB'[i]))];
    for (const [p, name] of [[a, 'alice'], [b, 'bob']]) {
      await p.goto(url);
      await p.waitForSelector('body[data-state="open"]', T);
      await p.fill('#name', name);
      await p.dispatchEvent('#name', 'change');
    }
    check(await a.$('meta[name="viewport"]') !== null, 'a viewport meta tag');
    check(await a.$('link[rel="icon"]') !== null, 'a favicon link');

    // A message from A reaches B with its name and a time, and shows in A
    // as its own (set apart, no longer pending once the server relayed it).
    const hello = 'hello from alice ' + Date.now();
    await a.fill('#msg', hello);
    await a.press('#msg', 'Enter');
    const inB = await b.waitForFunction((t) => [...document.querySelectorAll('#log .msg')].find((m) => m.querySelector('.text').textContent === t), hello, T);
    const bInfo = await inB.evaluate((m) => ({ name: m.querySelector('.name').textContent, time: m.querySelector('time').textContent, own: m.classList.contains('own') }));
    check(bInfo.name === 'alice' && /\d\d:\d\d/.test(bInfo.time) && !bInfo.own, 'B shows alice\'s message with her name and a time, not as its own: ' + JSON.stringify(bInfo));
    await a.waitForSelector('#log .msg.own:not(.pending)', T);
    const reply = 'hi alice, bob here';
    await b.fill('#msg', reply);
    await b.press('#msg', 'Enter');
    await a.waitForFunction((t) => [...document.querySelectorAll('#log .msg:not(.own) .text')].some((e) => e.textContent === t), reply, T);
    const align = await a.evaluate(() => [...document.querySelectorAll('#log .msg')].map((m) => getComputedStyle(m).alignSelf + (m.classList.contains('own') ? ':own' : ':other')));
    check(align.includes('flex-end:own') && align.includes('flex-start:other'), 'own messages on the right, others on the left: ' + align);
    // The narrow page has no sideways scrolling.
    const narrow = await b.evaluate(() => ({ sw: document.documentElement.scrollWidth, w: window.innerWidth }));
    check(narrow.sw <= narrow.w, 'no horizontal scroll at 360 px: ' + JSON.stringify(narrow));
    await a.screenshot({ path: path.join(shots, 'chat-wide.png') });
    await b.screenshot({ path: path.join(shots, 'chat-narrow.png') });

    // The server stops: both pages go offline; what A types waits, visibly.
    await step('stop-server');
    for (const p of [a, b]) await p.waitForSelector('body[data-state="closed"]', T);
    const offline = 'typed while the server was down';
    await a.fill('#msg', offline);
    await a.press('#msg', 'Enter');
    await a.waitForSelector('#log .msg.own.pending', T);
    check((await a.textContent('#notice')).includes('will be sent'), 'A says the message will be sent later');
    await a.screenshot({ path: path.join(shots, 'chat-offline.png') });

    // The server is back: both pages reconnect by themselves, A's waiting
    // message goes out and reaches B once.
    await step('start-server');
    for (const p of [a, b]) await p.waitForSelector('body[data-state="open"]', T);
    await a.waitForFunction(() => document.querySelectorAll('#log .msg.pending').length === 0, null, T);
    await b.waitForFunction((t) => [...document.querySelectorAll('#log .msg .text')].some((e) => e.textContent === t), offline, T);
    const copies = await b.evaluate((t) => [...document.querySelectorAll('#log .msg .text')].filter((e) => e.textContent === t).length, offline);
    check(copies === 1, 'B shows the offline message once, not ' + copies + ' times');
    await a.screenshot({ path: path.join(shots, 'chat-reconnected.png') });
    // Failed WebSocket attempts while the server was down are expected in
    // the console; anything else (a 404 favicon, a script error) is not.
    const bad = problems.flat().filter((p) => !/WebSocket connection to .* failed/.test(p));
    check(bad.length === 0, 'no console errors or failed requests: ' + bad.join('; '));
    console.log('chat ok');
  } finally {
    await cleanup();
  }
}

async function proxyui(url, shots) {
  const { ctx, cleanup } = await launch();
  try {
    const page = await ctx.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    const problems = watch(page, 'ui');
    await page.goto(url);
    await page.waitForSelector('body[data-state="open"]', T);
    // Frames appear live as the test sends them.
    await step('traffic');
    const ended = (n) => page.waitForFunction((n) => document.querySelectorAll('#conns li.ended').length >= n, n, T);
    await ended(3);
    const rowText = (sel) => page.$$eval(sel, (rs) => rs.map((r) => r.textContent));
    const c2s = await rowText('#rows tr.frame.client');
    const s2c = await rowText('#rows tr.frame.server');
    check(c2s.some((r) => r.includes('hello proxy')) && s2c.some((r) => r.includes('hello proxy')), 'the text message both ways: ' + c2s);
    check(c2s.some((r) => r.includes('de ad be ef')), 'the binary message as hex');
    check((await rowText('#rows tr.control')).some((r) => r.includes('ping')), 'the ping');
    check((await rowText('#rows tr.control')).some((r) => r.includes('code 4001 “bye”')), 'the close code and reason');
    check((await page.$$('#rows tr[data-conn="2"] .badge')).length >= 2, 'the compressed message marked deflate both ways');
    const findings = await rowText('#rows tr.finding');
    check(findings.length >= 1 && findings.some((r) => /mask/i.test(r)), 'the unmasked frame marked as a finding: ' + findings);
    check((await page.textContent('#conns li[data-conn="3"] .stats')).includes('finding'), 'the connection list counts the finding');
    await page.screenshot({ path: path.join(shots, 'proxyui-live.png') });

    // Filters: text, then one connection.
    await page.fill('#filter', 'hello');
    const hello = await rowText('#rows tr');
    check(hello.length === 2 && hello.every((r) => r.includes('hello proxy')), 'the text filter keeps the two hello rows: ' + hello.length);
    await page.fill('#filter', '');
    await page.click('#conns li[data-conn="2"]');
    const conn2 = await page.$$eval('#rows tr', (rs) => rs.map((r) => r.dataset.conn));
    check(conn2.length > 0 && conn2.every((c) => c === '2'), 'the connection filter keeps #2 only');
    await page.screenshot({ path: path.join(shots, 'proxyui-filtered.png') });
    await page.click('#conns li[data-conn=""]');

    // Pause: new frames are counted, not drawn, until Resume.
    await page.click('#pause');
    const before = await page.$$eval('#rows tr', (rs) => rs.length);
    await step('paused-traffic');
    await page.waitForFunction(() => /new while paused/.test(document.getElementById('count').textContent), null, T);
    check((await page.$$eval('#rows tr', (rs) => rs.length)) === before, 'nothing drawn while paused');
    check(!(await page.textContent('#rows')).includes('sent while paused'), 'the paused frame is not shown');
    await page.screenshot({ path: path.join(shots, 'proxyui-paused.png') });
    await page.click('#pause');
    await ended(4);
    await page.waitForFunction(() => document.getElementById('rows').textContent.includes('sent while paused'), null, T);

    // The detail pane shows the whole payload.
    await page.click('#rows tr.frame.client:has-text("squeeze me")');
    check((await page.textContent('#detail')).includes('squeeze me '.repeat(50)), 'the detail pane has the whole message');
    await page.screenshot({ path: path.join(shots, 'proxyui-detail.png') });

    // Export everything (no filter) as JSON lines.
    const [download] = await Promise.all([page.waitForEvent('download', T), page.click('#export')]);
    await download.saveAs(path.join(shots, 'proxyui-export.jsonl'));
    check(problems.length === 0, 'no console errors or failed requests: ' + problems.join('; '));
    console.log('proxyui ok');
  } finally {
    await cleanup();
  }
}

async function main() {
  const [mode, url, shots] = process.argv.slice(2);
  if (mode === 'chat') await chat(url, shots);
  else if (mode === 'proxyui') await proxyui(url, shots);
  else throw new Error('unknown mode ' + mode);
  rl.close();
}

main().catch((err) => { console.error(err.stack || err.message); process.exit(1); });
