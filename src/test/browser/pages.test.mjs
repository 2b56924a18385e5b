// Herald's demo page and browser client in headless Chromium, against real nodes started from the
// packaged jar. Run by BrowserIntegrationTests (`./mvnw verify`); screenshots go to $SCREENSHOTS.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

const JAR = process.env.HERALD_JAR;
const SCREENSHOTS = process.env.SCREENSHOTS ?? 'screenshots';
const API_KEY = 'browser-test-key';
const SECRET = 'browser-test-secret-browser-test-secret-0123';
mkdirSync(SCREENSHOTS, { recursive: true });

const nodes = new Set();
let browser;

after(async () => {
  await browser?.close();
  for (const node of nodes) node.kill('SIGKILL');
});

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts a node from the jar on `port`; resolves once its readiness answers UP. */
async function startNode(port, env = {}) {
  const child = spawn('java', ['-Xmx256m', '-jar', JAR, `--server.port=${port}`, '--server.address=127.0.0.1'], {
    env: { ...process.env, HERALD_API_KEY: API_KEY, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  nodes.add(child);
  child.on('exit', () => nodes.delete(child));
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`node on ${port} exited with ${child.exitCode}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/actuator/health/readiness`);
      if (response.ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill('SIGKILL');
  throw new Error(`node on ${port} not ready within 120 s`);
}

async function kill(child) {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

function developmentNode(port) {
  return startNode(port, { HERALD_AUTH_INSECURE: 'true' });
}

async function api(port, path, body) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-Key': API_KEY },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${path} answered ${response.status}: ${text}`);
  return JSON.parse(text);
}

function hs256(claims) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${unsigned}.${createHmac('sha256', SECRET).update(unsigned).digest('base64url')}`;
}

async function page(url) {
  browser ??= await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 760 } });
  const p = await context.newPage();
  p.on('pageerror', (e) => console.error(`page error on ${url}: ${e.message}`));
  await p.goto(url);
  return p;
}

/**
 * Runs the client in the page (a page of the node's own origin, as Chromium's local network checks
 * want) and keeps what it sees in window.seen: publications, resets, transports.
 */
async function clientIn(p, wsUrl, { user, channel, options = {} }) {
  await p.evaluate(async ({ wsUrl, user, channel, options }) => {
    const { Herald } = await import('/herald.js');
    const b64 = (o) => btoa(JSON.stringify(o)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const token = `${b64({ alg: 'none' })}.${b64({ sub: user, exp: Math.floor(Date.now() / 1000) + 3600,
      subscribe: ['*'], publish: ['*'] })}.`;
    window.seen = { offsets: [], data: [], resets: [], states: [] };
    window.herald = new Herald(wsUrl, { token, minDelay: 100, maxDelay: 1000, ...options });
    window.herald.on('state', (s) => window.seen.states.push(s));
    window.sub = window.herald.subscribe(channel, {
      onMessage(pub) { window.seen.offsets.push(pub.offset); window.seen.data.push(pub.data); },
      onReset(info) { window.seen.resets.push(info); },
    });
    await window.sub.ready;
  }, { wsUrl, user, channel, options });
}

const seen = (p) => p.evaluate(() => window.seen);

/** Waits on the demo page; on a timeout, fails with the page's states and counter and a screenshot. */
async function demoUntil(p, predicate, what, timeout = 40_000) {
  try {
    await p.waitForFunction(predicate, null, { timeout, polling: 100 });
  } catch (e) {
    await p.screenshot({ path: `${SCREENSHOTS}/failed-${what.replace(/\W+/g, '-')}.png` });
    const shown = await p.evaluate(() => ['sse-state', 'ws-state', 'count', 'offset']
      .map((id) => `${id}=${document.getElementById(id)?.textContent}`).join(' ')).catch(() => 'page gone');
    throw new Error(`timed out waiting for ${what}: ${shown}`);
  }
}

async function until(p, predicate, what, timeout = 20_000) {
  try {
    await p.waitForFunction(predicate, null, { timeout, polling: 50 });
  } catch (e) {
    await p.screenshot({ path: `${SCREENSHOTS}/failed-${what.replace(/\W+/g, '-')}.png` });
    throw new Error(`timed out waiting for ${what}: ${JSON.stringify(await seen(p).catch(() => null))}`);
  }
}

test('the demo page shows ticker updates with no one typing, and two pages chat and see each other', async () => {
  const port = await freePort();
  const node = await developmentNode(port);
  const first = await page(`http://127.0.0.1:${port}/`);
  // The ticker publishes every second; the wait covers a fresh node's first seconds on a loaded
  // machine, and a failure says what the page showed.
  await demoUntil(first, () => Number(document.getElementById('count').textContent) >= 2, 'two ticker updates');
  assert.match(await first.textContent('#sse-state'), /live over sse/);

  const second = await page(`http://127.0.0.1:${port}/`);
  const people = (p) => p.$$eval('#people .person', (els) => els.length);
  await second.waitForFunction(() => document.querySelectorAll('#people .person').length === 2, null, { timeout: 20_000 });
  await first.waitForFunction(() => document.querySelectorAll('#people .person').length === 2, null, { timeout: 20_000 });
  assert.equal(await people(first), 2);

  await first.fill('#text', 'hello from the first page');
  await first.press('#text', 'Enter');
  await second.waitForFunction(() => document.getElementById('log').textContent.includes('hello from the first page'),
    null, { timeout: 10_000 });
  await first.screenshot({ path: `${SCREENSHOTS}/demo-first.png` });
  await second.screenshot({ path: `${SCREENSHOTS}/demo-second.png` });
  await kill(node);
});

test('a connection dropped by the server reconnects by itself and loses nothing', async () => {
  const port = await freePort();
  const node = await developmentNode(port);
  const p = await page(`http://127.0.0.1:${port}/`);
  await clientIn(p, `ws://127.0.0.1:${port}/ws`, { user: 'dropped', channel: 'drop:1' });
  for (let i = 1; i <= 5; i++) await api(port, '/api/v1/publish', { channel: 'drop:1', data: i });
  await until(p, () => window.seen.offsets.length === 5, 'five before the drop');

  const started = Date.now();
  const { connections } = await api(port, '/api/v1/disconnect', { user: 'dropped', reconnect: true });
  assert.equal(connections, 1);
  for (let i = 6; i <= 10; i++) await api(port, '/api/v1/publish', { channel: 'drop:1', data: i });
  await until(p, () => window.seen.offsets.length === 10, 'all ten after the reconnect');
  console.log(`reconnect after a server disconnect (1012) and catch-up of 5: ${Date.now() - started} ms`);

  const { offsets, states } = await seen(p);
  assert.deepEqual(offsets, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.ok(states.includes('connecting'), `went through a reconnect: ${states}`);
  await kill(node);
});

test('a node restart mid-session reconnects and surfaces onReset (in-memory engine)', async () => {
  const port = await freePort();
  let node = await developmentNode(port);
  const p = await page(`http://127.0.0.1:${port}/`);
  await clientIn(p, `ws://127.0.0.1:${port}/ws`, { user: 'restarted', channel: 'restart:1' });
  await api(port, '/api/v1/publish', { channel: 'restart:1', data: 'before' });
  await until(p, () => window.seen.offsets.length === 1, 'the publication before the restart');

  await kill(node);
  node = await developmentNode(port);
  await until(p, () => window.seen.resets.length === 1, 'onReset after the restart', 60_000);
  await api(port, '/api/v1/publish', { channel: 'restart:1', data: 'after' });
  await until(p, () => window.seen.data.includes('after'), 'the publication after the restart');
  const { data, resets } = await seen(p);
  assert.deepEqual(data, ['before', 'after']);
  assert.equal(resets[0].channel, 'restart:1');
  await kill(node);
});

/** A proxy in front of the node that passes HTTP through and refuses every WebSocket upgrade. */
function upgradeRefusingProxy(target) {
  const server = http.createServer((req, res) => {
    const upstream = http.request({ host: '127.0.0.1', port: target, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
    res.on('close', () => upstream.destroy());
  });
  server.on('upgrade', (req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

test('with WebSocket blocked the client falls back to SSE down and POST up', async () => {
  const port = await freePort();
  const node = await developmentNode(port);
  const proxy = await upgradeRefusingProxy(port);
  const via = proxy.address().port;
  const p = await page(`http://127.0.0.1:${via}/`);
  await clientIn(p, `ws://127.0.0.1:${via}/ws`, { user: 'walled', channel: 'fallback:1' });
  assert.equal(await p.evaluate(() => window.herald.transport), 'sse');

  const latency = await p.evaluate(async () => {
    const times = [];
    for (let i = 0; i < 10; i++) {
      const sent = performance.now();
      const before = window.seen.offsets.length;
      await window.herald.publish('fallback:1', { i });
      while (window.seen.offsets.length === before) await new Promise((r) => setTimeout(r, 1));
      times.push(performance.now() - sent);
    }
    return times.sort((a, b) => a - b)[5];
  });
  const { offsets } = await seen(p);
  assert.deepEqual(offsets, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

  const direct = await page(`http://127.0.0.1:${port}/`);
  await clientIn(direct, `ws://127.0.0.1:${port}/ws`, { user: 'direct', channel: 'fallback:2' });
  assert.equal(await direct.evaluate(() => window.herald.transport), 'websocket');
  const wsLatency = await direct.evaluate(async () => {
    const times = [];
    for (let i = 0; i < 10; i++) {
      const sent = performance.now();
      const before = window.seen.offsets.length;
      await window.herald.publish('fallback:2', { i });
      while (window.seen.offsets.length === before) await new Promise((r) => setTimeout(r, 1));
      times.push(performance.now() - sent);
    }
    return times.sort((a, b) => a - b)[5];
  });
  console.log(`publish-to-delivery median: SSE+POST through the proxy ${latency.toFixed(1)} ms, WebSocket ${wsLatency.toFixed(1)} ms`);
  await p.screenshot({ path: `${SCREENSHOTS}/fallback.png` });
  proxy.close();
  await kill(node);
});

test('on a node that verifies tokens the demo page asks for one, and works once given one', async () => {
  const port = await freePort();
  const node = await startNode(port, { HERALD_AUTH_HMAC_SECRET: SECRET });
  const p = await page(`http://127.0.0.1:${port}/`);
  await p.waitForSelector('#secured', { state: 'visible', timeout: 20_000 });
  await p.screenshot({ path: `${SCREENSHOTS}/secured-asks.png` });

  const token = hs256({ sub: 'tester', exp: Math.floor(Date.now() / 1000) + 3600, subscribe: ['demo:*'], publish: ['demo:chat'] });
  await p.fill('#token', token);
  await p.press('#token', 'Enter');
  await p.waitForFunction(() => document.getElementById('ws-state').textContent.includes('live')
    && document.getElementById('sse-state').textContent.includes('live'), null, { timeout: 20_000 });
  // "live" is the stream's state; the subscription on it may be made a moment later (the SSE stream
  // reopens with the channel), and a publication before it is not for this page. Publish until one arrives.
  const deadline = Date.now() + 20_000;
  let price = 1;
  while (Number(await p.textContent('#count')) < 1) {
    assert.ok(Date.now() < deadline, 'no ticker update reached the page within 20 s');
    await api(port, '/api/v1/publish', { channel: 'demo:ticker', data: { symbol: 'HRLD', price: price++, change: 0 } });
    await new Promise((r) => setTimeout(r, 500));
  }
  await p.screenshot({ path: `${SCREENSHOTS}/secured-works.png` });
  await kill(node);
});

test('the console signs in with the API key and shows a publication made through the API', async () => {
  const port = await freePort();
  const node = await developmentNode(port);
  const p = await page(`http://127.0.0.1:${port}/console`);
  await p.fill('#key', 'wrong-key');
  await p.press('#key', 'Enter');
  await p.waitForFunction(() => document.getElementById('login-error').textContent.includes('refused'), null, { timeout: 10_000 });

  await p.fill('#key', API_KEY);
  await p.press('#key', 'Enter');
  await p.waitForFunction(() => Number(document.getElementById('t-nodes').textContent) === 1, null, { timeout: 20_000 });
  assert.ok(!p.url().includes(API_KEY), 'the key never goes into the URL');
  await p.fill('#watch', 'news:console');
  await p.press('#watch', 'Enter');
  await api(port, '/api/v1/publish', { channel: 'news:console', data: { headline: 'seen on the console' } });
  await p.waitForFunction(() => document.getElementById('recent').textContent.includes('seen on the console'),
    null, { timeout: 20_000 });

  await p.fill('#pub-channel', 'news:console');
  await p.fill('#pub-data', '{"headline": "published from the console"}');
  await p.click('#publish-form button');
  await p.waitForFunction(() => document.getElementById('recent').textContent.includes('published from the console'),
    null, { timeout: 20_000 });
  await p.screenshot({ path: `${SCREENSHOTS}/console.png` });
  await kill(node);
});
