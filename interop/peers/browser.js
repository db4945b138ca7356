// wskit interop peer: Chromium (/usr/bin/chromium) driven by playwright-core.
//
//   node browser.js echo PAGE_URL...   opens each page (served by the Go test);
//                                      prints the text of #result when set
//   node browser.js chat CHAT_URL      two pages of the ws serve chat: a message
//                                      typed in one must appear in the other
//   node browser.js nodes URL_A URL_B  a chat page on each of two ws serve nodes
//                                      sharing a broker: each sees the other's
//                                      messages, and page B, cut off and
//                                      reconnected, gets what it missed once
'use strict';
// How long a wait may take: the Go test's remaining time (WSKIT_WAIT_MS),
// so that a loaded machine slows the script down without failing it.
const waitMs = Number(process.env.WSKIT_WAIT_MS) || 60000;
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wskit-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      // WSKIT_IGNORE_CERT=1: the Go test's loopback TLS server has a test certificate.
      ...(process.env.WSKIT_IGNORE_CERT === '1' ? ['--ignore-certificate-errors'] : [])],
    ignoreHTTPSErrors: process.env.WSKIT_IGNORE_CERT === '1',
  });
  try {
    const [mode, ...urls] = process.argv.slice(2);
    if (mode === 'echo') {
      for (const url of urls) {
        const page = await ctx.newPage();
        page.on('console', (m) => console.error('console:', m.text()));
        await page.goto(url);
        await page.waitForSelector('#result', { timeout: waitMs });
        console.log((await page.textContent('#result')).trim());
        await page.close();
      }
    } else if (mode === 'chat') {
      const a = await ctx.newPage();
      const b = await ctx.newPage();
      for (const p of [a, b]) {
        await p.goto(urls[0]);
        await p.waitForSelector('body[data-state="open"]', { timeout: waitMs });
      }
      const text = 'hello from page A ' + Date.now();
      await a.fill('#msg', text);
      await a.press('#msg', 'Enter');
      await b.waitForFunction((t) => document.getElementById('log').textContent.includes(t), text, { timeout: waitMs });
      console.log('chat ok');
    } else if (mode === 'nodes') {
      const pages = [];
      for (const url of urls) {
        const p = await ctx.newPage();
        p.on('console', (m) => console.error('console:', m.text()));
        await p.goto(url);
        await p.waitForSelector('body[data-state="open"]', { timeout: waitMs });
        pages.push(p);
      }
      const [a, b] = pages;
      const has = (p, t) => p.waitForFunction((t) => document.getElementById('log').textContent.includes(t), t, { timeout: waitMs });
      const stamp = Date.now();
      for (const [i, p] of pages.entries()) {
        await p.fill('#msg', 'hello from node ' + i + ' ' + stamp);
        await p.press('#msg', 'Enter');
      }
      for (const p of pages) {
        for (const i of [0, 1]) await has(p, 'hello from node ' + i + ' ' + stamp);
      }
      console.log('both nodes ok');
      // Cut page B off; page A writes while it is away; B reconnects with
      // its last offset and must show the missed message exactly once.
      await b.evaluate(() => ws.close());
      await b.waitForSelector('body[data-state="closed"]', { timeout: waitMs });
      const missed = 'written while B was away ' + stamp;
      await a.fill('#msg', missed);
      await a.press('#msg', 'Enter');
      await has(a, missed);
      await has(b, missed);
      const count = await b.evaluate((t) => [...document.querySelectorAll('#log .msg .text')].filter((d) => d.textContent === t).length, missed);
      if (count !== 1) throw new Error('page B shows the missed message ' + count + ' times');
      console.log('resume ok');
    }
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err.message); process.exit(1); });
