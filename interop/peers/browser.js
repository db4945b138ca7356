// wskit interop peer: Chromium (/usr/bin/chromium) driven by playwright-core.
//
//   node browser.js echo PAGE_URL...   opens each page (served by the Go test);
//                                      prints the text of #result when set
//   node browser.js chat CHAT_URL      two pages of the ws serve chat: a message
//                                      typed in one must appear in the other
'use strict';
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
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const [mode, ...urls] = process.argv.slice(2);
    if (mode === 'echo') {
      for (const url of urls) {
        const page = await ctx.newPage();
        page.on('console', (m) => console.error('console:', m.text()));
        await page.goto(url);
        await page.waitForSelector('#result', { timeout: 60000 });
        console.log((await page.textContent('#result')).trim());
        await page.close();
      }
    } else if (mode === 'chat') {
      const a = await ctx.newPage();
      const b = await ctx.newPage();
      for (const p of [a, b]) {
        await p.goto(urls[0]);
        await p.waitForSelector('body[data-state="open"]', { timeout: 20000 });
      }
      const text = 'hello from page A ' + Date.now();
      await a.fill('#msg', text);
      await a.press('#msg', 'Enter');
      await b.waitForFunction((t) => document.getElementById('log').textContent.includes(t), text, { timeout: 20000 });
      console.log('chat ok');
    }
  } finally {
    await ctx.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err.message); process.exit(1); });
