// Browser tests: the real page (web/) in Debian's Chromium, driven headless by playwright-core,
// against the real server (server.mjs). Run by scripts/browser-test (part of scripts/test).
// Screenshots go to $SCREENSHOT_DIR (default build/browser-screenshots/), not into the repo.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { Server } from './server.mjs';

const here = import.meta.dirname ?? new URL('.', import.meta.url).pathname;
const SHOTS = process.env.SCREENSHOT_DIR || path.resolve(here, '../../build/browser-screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const HISTORY = 20; // --chat.history-size: a newcomer gets this many, scrollback the rest

let server, browser;
let people = []; // contexts opened by the current test, closed after it

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  // commands and dice: slash-commands answered by the server's behaviours (docs/EXTENDING.md).
  server = new Server([`--chat.history-size=${HISTORY}`, '--chat.behaviours=["commands","dice"]']);
  await server.start();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
});

after(async () => {
  await browser?.close();
  if (!server) return;
  const code = await server.stop();
  const report = server.sanitizerReport();
  server.cleanup();
  assert.equal(report, '', 'sanitizer report in the server log');
  assert.equal(code, 0, 'server exit code after SIGTERM');
});

afterEach(async () => {
  const problems = people.flatMap((p) => p.problems.map((x) => `${p.nick}: ${x}`));
  await Promise.all(people.map((p) => p.context.close()));
  people = [];
  assert.deepEqual(problems, [], 'script errors or dialogs in the page');
});

// ---- helpers ----------------------------------------------------------------------------------

// Opens the page in a fresh browser context (a first visit: no localStorage), picks the
// nickname in the form the page shows, and waits for the lobby.
async function person(nick, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 700 }, colorScheme: 'light', ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  const p = { nick, context, page, problems: [] };
  page.on('pageerror', (e) => p.problems.push('page error: ' + e.message));
  page.on('dialog', (d) => { p.problems.push('dialog: ' + d.message()); d.dismiss().catch(() => {}); });
  people.push(p);
  await page.goto(server.url);
  await page.locator('#nickinput').waitFor({ state: 'visible' }); // asked on the first visit
  await page.fill('#nickinput', nick);
  await page.press('#nickinput', 'Enter');
  await page.waitForFunction((n) => document.getElementById('nick').textContent === n, nick);
  await inRoom(page, 'lobby');
  return p;
}

const logOf = (room) => `.log[aria-label="Messages in #${room}"]`;

async function inRoom(page, room) {
  await page.waitForFunction((t) => document.getElementById('room-title').textContent === t, '#' + room);
  await page.waitForFunction((sel) => { const b = [...document.querySelectorAll('.room-btn')].find((x) => x.getAttribute('aria-current') === 'true'); return b && !b.classList.contains('off'); }, null);
}

async function type(page, text) {
  await page.fill('#input', text);
  await page.press('#input', 'Enter');
}

async function join(page, room) {
  await type(page, '/join ' + room);
  await inRoom(page, room);
}

// The messages of a room's log, in order.
function lines(page, room) {
  return page.$$eval(`${logOf(room)} .msg`, (els) => els.map((e) => ({
    seq: e.dataset.seq ? Number(e.dataset.seq) : 0,
    from: e.querySelector('.from').textContent,
    text: e.querySelector('.text').textContent,
    action: e.classList.contains('action'),
    cont: e.classList.contains('cont'),
    pending: e.classList.contains('pending'),
  })));
}

// Waits until the room's log shows a delivered message (with a seq) with this text.
function waitLine(page, room, text) {
  return page.waitForFunction(([sel, t]) => [...document.querySelectorAll(sel + ' .msg[data-seq] .text')].some((e) => e.textContent === t),
    [logOf(room), text]);
}

function waitSys(page, room, text) {
  return page.waitForFunction(([sel, t]) => [...document.querySelectorAll(sel + ' .sys')].some((e) => e.textContent.includes(t)),
    [logOf(room), text]);
}

// Every seq once, and no gap between the first and the last shown.
function assertGapless(list, what) {
  const seqs = list.filter((l) => l.seq).map((l) => l.seq);
  assert.ok(seqs.length > 0, what + ': no messages');
  assert.deepEqual(seqs, [...new Set(seqs)].sort((a, b) => a - b), what + ': duplicates or out of order');
  assert.equal(seqs[seqs.length - 1] - seqs[0] + 1, seqs.length, what + ': gap in ' + seqs.join(','));
}

// A scripted client speaking the protocol from a page of the server's origin (so the
// origin check passes), paced under the default rate limit. Returns the seqs sent.
async function bot(room, texts, gapMs = 55) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(server.url + 'chat.css');
    return await page.evaluate(async ({ url, room, texts, gapMs }) => {
      const ws = new WebSocket(url);
      await new Promise((ok, no) => { ws.onopen = ok; ws.onerror = () => no(new Error('bot: cannot connect')); });
      const seqs = [];
      let joined;
      const done = new Promise((ok, no) => {
        ws.onclose = (e) => no(new Error('bot: closed ' + e.code));
        ws.onmessage = (ev) => {
          for (const part of ev.data.split('\n')) {
            if (!part) continue;
            const o = JSON.parse(part);
            if (o.type === 'joined') joined();
            else if (o.type === 'error') no(new Error('bot: ' + part));
            else if (o.type === 'sent' && seqs.push(o.seq) === texts.length) ok();
          }
        };
      });
      ws.send(JSON.stringify({ type: 'join', room }));
      await new Promise((ok) => { joined = ok; });
      for (let i = 0; i < texts.length; i++) {
        ws.send(JSON.stringify({ type: 'say', room, text: texts[i], id: 'b' + i }));
        await new Promise((ok) => setTimeout(ok, gapMs));
      }
      await done;
      ws.onclose = null;
      ws.close();
      return seqs;
    }, { url: server.url.replace('http', 'ws') + 'ws?autojoin=false', room, texts, gapMs });
  } finally {
    await context.close();
  }
}

// Says which wait timed out (playwright's TimeoutError does not).
async function named(what, promise) {
  try { return await promise; } catch (e) { e.message = what + ': ' + e.message; throw e; }
}

const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, name + '.png') });

// ---- scenarios --------------------------------------------------------------------------------

test('two people chat in two rooms', async () => {
  const ana = await person('ana');
  const bob = await person('bob');

  await type(ana.page, 'hello from ana');
  await waitLine(bob.page, 'lobby', 'hello from ana');

  await join(ana.page, 'dev');
  // the join form in the sidebar, as a mouse user would
  await bob.page.fill('#joininput', 'dev');
  await bob.page.click('#joinform button[type=submit]');
  await inRoom(bob.page, 'dev');
  await type(bob.page, 'bob in dev');
  await waitLine(ana.page, 'dev', 'bob in dev');
  await bob.page.waitForFunction(() => [...document.querySelectorAll('#memberlist li')].map((l) => l.firstChild.textContent).join() === 'ana,bob');

  // a message in the room ana is not looking at counts as unread there
  await bob.page.click('.room-btn:has-text("#lobby")');
  await inRoom(bob.page, 'lobby');
  await type(bob.page, 'back in the lobby');
  await ana.page.waitForFunction(() => [...document.querySelectorAll('.room-btn')].find((b) => b.textContent.startsWith('#lobby')).querySelector('.badge').textContent === '1');
  assert.match(await ana.page.title(), /^\(1\) /);
  await ana.page.click('.room-btn:has-text("#lobby")');
  await ana.page.waitForFunction(() => document.querySelector('.room-btn[aria-current=true] .badge').hidden);

  // grouped lines, an action, a link
  await type(ana.page, 'one');
  await type(ana.page, 'two');
  await type(ana.page, '/me waves');
  await type(ana.page, 'see https://example.com/a_(b). and javascript:alert(1)');
  await waitLine(bob.page, 'lobby', 'see https://example.com/a_(b). and javascript:alert(1)');
  const got = (await lines(bob.page, 'lobby')).slice(-4);
  assert.deepEqual(got.map((l) => [l.from, l.text, l.action, l.cont]), [
    ['ana', 'one', false, false], ['ana', 'two', false, true], ['ana', 'waves', true, false],
    ['ana', 'see https://example.com/a_(b). and javascript:alert(1)', false, false],
  ]);
  const links = await bob.page.$$eval(`${logOf('lobby')} .msg a`, (as) => as.map((a) => [a.getAttribute('href'), a.textContent, a.rel, a.target]));
  assert.deepEqual(links, [['https://example.com/a_(b)', 'https://example.com/a_(b)', 'noopener noreferrer', '_blank']]);
  assert.match(await bob.page.locator(`${logOf('lobby')} .msg.action .body`).last().innerText(), /^\* ana waves$/);

  // Up recalls what was sent, and sends nothing by itself
  await ana.page.focus('#input');
  await ana.page.keyboard.press('ArrowUp');
  assert.equal(await ana.page.inputValue('#input'), 'see https://example.com/a_(b). and javascript:alert(1)');
  await ana.page.keyboard.press('ArrowUp');
  assert.equal(await ana.page.inputValue('#input'), '/me waves');
  await ana.page.keyboard.press('ArrowDown');
  await ana.page.keyboard.press('ArrowDown');
  assert.equal(await ana.page.inputValue('#input'), '');

  // Shift+Enter is a new line, Enter sends both lines as one message
  await ana.page.keyboard.type('first line');
  await ana.page.keyboard.press('Shift+Enter');
  await ana.page.keyboard.type('second line');
  await ana.page.keyboard.press('Enter');
  await waitLine(bob.page, 'lobby', 'first line\nsecond line');

  await ana.page.click('.room-btn:has-text("#dev")');
  await type(ana.page, 'the build is green');
  await bob.page.waitForFunction(() => [...document.querySelectorAll('.room-btn')].find((b) => b.textContent.startsWith('#dev')).querySelector('.badge').textContent === '1');
  await shot(bob.page, 'desktop-light'); // docs/screenshot.png is this one

});

test('a newcomer sees the history, and scrolling up loads older messages', async () => {
  const texts = Array.from({ length: 3 * HISTORY }, (_, i) => `old message ${i + 1}`);
  const seqs = await bot('archive', texts);
  // a short window, so that the replay fills it and older pages load only on scrolling up
  const cy = await person('cy', { viewport: { width: 900, height: 420 } });
  await join(cy.page, 'archive');
  await waitLine(cy.page, 'archive', texts[texts.length - 1]);
  let got = await lines(cy.page, 'archive');
  assert.equal(got.length, HISTORY, 'the join replays history-size messages');
  assertGapless(got, 'replay');

  // scroll to the top until the beginning of the room is reached
  for (let i = 0; i < 20; i++) {
    if (await cy.page.locator(`${logOf('archive')} .log-top.start`).count()) break;
    await cy.page.$eval(logOf('archive'), (l) => { l.scrollTop = 0; });
    await cy.page.waitForTimeout(300);
  }
  await cy.page.locator(`${logOf('archive')} .log-top.start`).waitFor();
  got = await lines(cy.page, 'archive');
  assert.deepEqual(got.map((l) => l.text), texts);
  assert.deepEqual(got.map((l) => l.seq), seqs);
  assertGapless(got, 'scrollback');
});

test('a nick change shows for the others and is remembered', async () => {
  const ana = await person('ana2');
  const bob = await person('bob2');
  await join(ana.page, 'nicks');
  await join(bob.page, 'nicks');
  await ana.page.click('#nick');
  await ana.page.fill('#nickinput', 'anabel');
  await ana.page.press('#nickinput', 'Enter');
  await ana.page.waitForFunction(() => document.getElementById('nick').textContent === 'anabel');
  await waitSys(bob.page, 'nicks', 'ana2 is now known as anabel');
  await bob.page.waitForFunction(() => [...document.querySelectorAll('#memberlist li')].some((l) => l.firstChild.textContent === 'anabel'));

  // a nickname someone holds: the error shows in the form, not in an alert
  await bob.page.click('#nick');
  await bob.page.fill('#nickinput', 'anabel');
  await bob.page.press('#nickinput', 'Enter');
  await bob.page.waitForFunction(() => /taken/.test(document.getElementById('nickerr').textContent));
  await bob.page.click('#nickcancel');

  // the nickname and the rooms survive a reload (localStorage), and are not asked again
  await ana.page.reload();
  await ana.page.waitForFunction(() => document.getElementById('nick').textContent === 'anabel');
  await inRoom(ana.page, 'nicks');
  assert.equal(await ana.page.locator('#nickform').isHidden(), true);
  assert.deepEqual(await ana.page.$$eval('.room-name', (n) => n.map((x) => x.textContent)), ['#lobby', '#nicks']);
});

test('markup in messages is shown as text and runs nothing', async () => {
  const ana = await person('mallory');
  const bob = await person('victim');
  const evil = [
    '<img src=x onerror="window.__pwned=1">',
    '<script>window.__pwned=2</script>',
    '"><svg onload="window.__pwned=3">',
    'https://example.com/"onmouseover="window.__pwned=4',
  ];
  await ana.page.evaluate(() => { window.__pwned = 0; });
  for (const t of evil) await type(ana.page, t);
  for (const t of evil) await waitLine(bob.page, 'lobby', t);
  await bob.page.hover(`${logOf('lobby')} .msg a >> nth=-1`);
  for (const p of [ana.page, bob.page]) {
    assert.equal(await p.locator('.log img, .log script, .log svg').count(), 0);
    assert.equal(await p.evaluate(() => window.__pwned ?? 0), 0);
  }
  const href = await bob.page.locator(`${logOf('lobby')} .msg a`).last().getAttribute('href');
  assert.equal(href, 'https://example.com/', 'a quote ends the link');
  // a message too long for the server is refused inline, before sending
  await bob.page.fill('#input', 'x'.repeat(5000));
  await bob.page.waitForFunction(() => document.getElementById('hint').classList.contains('error'));
  assert.match(await bob.page.textContent('#hint'), /Too long/);
});

test('a reader scrolled up is not pulled down and sees the new-messages marker', async () => {
  const bob = await person('reader');
  await join(bob.page, 'scroll');
  await bot('scroll', Array.from({ length: 40 }, (_, i) => `filler ${i + 1}`), 30);
  await waitLine(bob.page, 'scroll', 'filler 40');
  const log = logOf('scroll');
  // at the bottom: new lines scroll into view
  assert.ok(await bob.page.$eval(log, (l) => l.scrollHeight - l.scrollTop - l.clientHeight <= 8));
  assert.equal(await bob.page.locator('#jump').isHidden(), true);

  await bob.page.hover(log);
  await bob.page.mouse.wheel(0, -400);
  await bob.page.waitForFunction((s) => document.querySelector(s).scrollHeight - document.querySelector(s).scrollTop - document.querySelector(s).clientHeight > 100, log);
  const before = await bob.page.$eval(log, (l) => l.scrollTop);
  await bot('scroll', ['while you were reading', 'and another'], 30);
  await waitLine(bob.page, 'scroll', 'and another');
  await bob.page.locator('#jump').waitFor({ state: 'visible' });
  assert.equal(await bob.page.$eval(log, (l) => l.scrollTop), before, 'the view did not move');
  await shot(bob.page, 'scrolled-up-marker');

  await bob.page.click('#jump');
  await bob.page.locator('#jump').waitFor({ state: 'hidden' });
  assert.ok(await bob.page.$eval(log, (l) => l.scrollHeight - l.scrollTop - l.clientHeight <= 8));
});

test('after the server is killed and restarted the page resumes without duplicates or gaps', async () => {
  const ana = await person('ana3');
  const bob = await person('bob3');
  await join(ana.page, 'crash');
  await join(bob.page, 'crash');
  for (let i = 1; i <= 5; i++) await type(ana.page, `before ${i}`);
  await waitLine(bob.page, 'crash', 'before 5');

  await server.kill();
  for (const p of [ana.page, bob.page]) await p.waitForFunction(() => document.getElementById('status').dataset.state === 'disconnected');
  await shot(bob.page, 'disconnected');
  await server.start();
  // someone else talks before the pages are back: the resume must bring it
  await bot('crash', ['while they reconnect 1', 'while they reconnect 2']);
  for (const p of [ana.page, bob.page]) {
    await p.waitForFunction(() => document.getElementById('status').dataset.state === 'connected', null, { timeout: 30000 });
    await waitLine(p, 'crash', 'while they reconnect 2');
  }
  await type(ana.page, 'after the restart');
  await waitLine(bob.page, 'crash', 'after the restart');
  for (const p of [ana, bob]) {
    assertGapless(await lines(p.page, 'lobby'), p.nick + ' in the lobby'); // every room resumed
    const got = await lines(p.page, 'crash');
    assertGapless(got, p.nick);
    assert.deepEqual(got.filter((l) => !l.pending).map((l) => l.text),
      ['before 1', 'before 2', 'before 3', 'before 4', 'before 5', 'while they reconnect 1', 'while they reconnect 2', 'after the restart'], p.nick);
  }
});

test('server errors show inline, next to what caused them', async () => {
  const eve = await person('eve');
  await join(eve.page, 'flood');
  // 60 messages at once: the server takes about rate-burst (40) and refuses the rest (rate_limited)
  await eve.page.evaluate(() => {
    const input = document.getElementById('input'), form = document.getElementById('compose');
    for (let i = 1; i <= 60; i++) { input.value = 'flood ' + i; form.requestSubmit(); }
  });
  await named('some refused', eve.page.waitForFunction(() => document.querySelectorAll('.log:not(.off) .msg.failed').length > 0));
  await named('none pending', eve.page.waitForFunction(() => document.querySelectorAll('.log:not(.off) .msg.pending').length === 0));
  const failed = await eve.page.$$eval('.log:not(.off) .msg.failed', (els) => els.map((e) => e.querySelector('.state').textContent));
  const delivered = await eve.page.locator('.log:not(.off) .msg[data-seq]').count();
  assert.ok(failed.length >= 1, 'some refused');
  assert.equal(delivered + failed.length, 60, 'each one delivered or shown as not sent');
  for (const f of failed) assert.match(f, /^not sent: too many messages.*retry$/);
  assert.match(await eve.page.textContent('#hint'), /^Not sent: /);
  assert.equal(await eve.page.locator('#status').getAttribute('data-state'), 'connected', 'not disconnected for it');
  // retry sends one again, once the bucket has refilled
  await eve.page.waitForTimeout(1000);
  const text = await eve.page.locator('.log:not(.off) .msg.failed .text').first().textContent();
  await eve.page.locator('.log:not(.off) .msg.failed .retry').first().click();
  await named('retried ' + text, waitLine(eve.page, 'flood', text));
});

test('slash-commands of the server behaviours answer the one who typed them', async () => {
  const ana = await person('ana-cmd');
  const bob = await person('bob-cmd');
  await join(ana.page, 'cmds');
  await join(bob.page, 'cmds');
  // a notice for ana only, in the room she typed it in
  await type(ana.page, '/time');
  const notice = ana.page.locator(`${logOf('cmds')} .sys.notice`).last();
  await notice.waitFor();
  assert.match(await notice.innerText(), /^commands: server time: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  // a roll is ana's action, for everyone
  await type(ana.page, '/roll 2d6');
  const roll = bob.page.locator(`${logOf('cmds')} .msg.action .body`).last();
  await roll.waitFor();
  assert.match(await roll.innerText(), /^\* ana-cmd rolls 2d6: [1-6] \+ [1-6] = \d+$/);
  assert.equal(await bob.page.locator(`${logOf('cmds')} .sys.notice`).count(), 0);
  // /help lists the server's commands too; an unknown one says which exist
  await type(ana.page, '/help');
  assert.match(await ana.page.locator('#hint').innerText(), /\/roll 2d6/);
  await type(ana.page, '/rooms');
  await ana.page.locator(`${logOf('cmds')} .sys.notice`).filter({ hasText: /^Rooms: .*#cmds \(2\)/ }).waitFor();
  await type(ana.page, '/nope');
  assert.match(await ana.page.locator('#hint').innerText(), /^Unknown command \/nope\..*\/roll 2d6.*\/time/);
  // "//" says a line that starts with a slash
  await type(ana.page, '//shrug');
  await waitLine(bob.page, 'cmds', '/shrug');
  await shot(ana.page, 'slash-commands');
});

test('labels and keyboard focus order', async () => {
  const kim = await person('kim');
  const page = kim.page;
  const tree = await page.locator('body').ariaSnapshot();
  for (const want of ['navigation "Rooms"', 'log "Messages in #lobby"', 'textbox "Message #lobby"', 'button "Send"',
    'button "#lobby"', 'combobox "Join a room"', 'button "kim, change nickname"', 'status: connected']) {
    assert.ok(tree.includes(want), want + ' in\n' + tree);
  }
  // Tab walks the page in reading order: header, rooms, the log (and the links in it), the input
  await join(page, 'quiet');
  await page.focus('#leave');
  const order = ['leave'];
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Tab');
    order.push(await page.evaluate(() => { const a = document.activeElement; return a.id || a.className || a.tagName; }));
  }
  assert.deepEqual(order, ['leave', 'nick', 'room-btn', 'room-btn', 'joininput', 'join-btn', 'log', 'input', 'send']);
});

test('a narrow phone screen still works', async () => {
  const phone = await person('phone', { viewport: { width: 375, height: 720 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const page = phone.page;
  await join(page, 'mobile');
  await type(page, 'typed on a phone');
  await waitLine(page, 'mobile', 'typed on a phone');
  // nothing is wider than the screen
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
  // the room strip switches rooms; the members panel opens over the log
  await page.tap('.room-btn:has-text("#lobby")');
  await inRoom(page, 'lobby');
  await page.tap('#members-toggle');
  await page.locator('#members').waitFor({ state: 'visible' });
  await page.waitForFunction(() => [...document.querySelectorAll('#memberlist li')].some((l) => l.firstChild.textContent === 'phone'));
  await shot(page, 'phone-members');
  await page.keyboard.press('Escape');
  await page.locator('#members').waitFor({ state: 'hidden' });
  for (const id of ['#input', '#send', '#add-room']) {
    const box = await page.locator(id).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 375 + 0.5, id + ' is on screen');
  }
  await shot(page, 'phone');
});

test('dark mode follows the system setting', async () => {
  const night = await person('night', { colorScheme: 'dark' });
  await type(night.page, 'good night');
  await waitLine(night.page, 'lobby', 'good night');
  const bg = await night.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(15, 17, 21)');
  await shot(night.page, 'desktop-dark');
});
