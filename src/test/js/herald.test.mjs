// Unit tests of the client's reconnect, recovery and fallback logic, against a scripted server in
// the same process. Run by `node --test src/test/js/` (ClientLibraryTests runs it from Maven).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Herald, backoff, tokenTtl } from '../../main/resources/static/herald.js';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition, what, timeout = 3000) {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

function jwt(claims) {
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256' })}.${part(claims)}.sig`;
}

/**
 * A scripted Herald: keeps each channel's publications, answers the WebSocket protocol, and lets a
 * test drop connections with any close code. `WebSocket` is the class to hand to the client.
 */
class FakeHerald {
  constructor() {
    this.sockets = [];
    this.frames = [];
    this.channels = new Map();
    this.epoch = 'e1';
    this.refuseUpgrade = false;
    const server = this;
    this.WebSocket = class {
      constructor(url, protocol) {
        this.url = url;
        this.protocol = protocol;
        server.sockets.push(this);
        setTimeout(() => {
          if (server.refuseUpgrade) this._close(1006, '');
          else this.onopen?.();
        }, 1);
      }
      send(text) {
        server._frame(this, JSON.parse(text));
      }
      close(code) {
        this._close(code ?? 1005, '');
      }
      _close(code, reason) {
        if (this.closed) return;
        this.closed = true;
        setTimeout(() => this.onclose?.({ code, reason }), 1);
      }
    };
  }

  get socket() {
    return this.sockets[this.sockets.length - 1];
  }

  publications(channel) {
    if (!this.channels.has(channel)) this.channels.set(channel, []);
    return this.channels.get(channel);
  }

  /** Appends a publication; delivers it to every open socket subscribed unless `deliver` is false. */
  publish(channel, data, { deliver = true } = {}) {
    const list = this.publications(channel);
    const pub = { channel, offset: list.length + 1, epoch: this.epoch, data, ts: Date.now() };
    list.push(pub);
    if (deliver) this.push({ type: 'message', ...pub });
    return pub;
  }

  push(frame) {
    for (const socket of this.sockets) {
      if (!socket.closed && socket.subscribed?.has(frame.channel)) this._send(socket, frame);
    }
  }

  drop(code, advice) {
    const socket = this.socket;
    if (advice) this._send(socket, { type: 'disconnect', ...advice });
    socket._close(code, '');
  }

  /** Forgets every channel's history, as a restarted in-memory node does. */
  restart() {
    this.epoch = 'e2';
    this.channels.clear();
  }

  _send(socket, frame) {
    setTimeout(() => !socket.closed && socket.onmessage?.({ data: JSON.stringify(frame) }), 0);
  }

  _frame(socket, frame) {
    this.frames.push(frame);
    const reply = (result) => this._send(socket, { id: frame.id, result });
    if (frame.op === 'connect') {
      socket.token = frame.token;
      reply({ client: `c${this.sockets.length}`, node: 'n1', ttl: this.ttl ?? null });
    } else if (frame.op === 'subscribe') {
      socket.subscribed ??= new Set();
      socket.subscribed.add(frame.channel);
      const list = this.publications(frame.channel);
      const since = frame.since;
      const recovered = !since || since.epoch === this.epoch;
      reply({ epoch: this.epoch, offset: list.length, recovered });
      if (since && recovered) list.filter((p) => p.offset > since.offset).forEach((p) => this._send(socket, { type: 'message', ...p }));
    } else if (frame.op === 'unsubscribe') {
      socket.subscribed?.delete(frame.channel);
      reply({});
    } else if (frame.op === 'publish') {
      const pub = this.publish(frame.channel, frame.data);
      reply({ offset: pub.offset });
    } else if (frame.op === 'rpc') {
      if (frame.method === 'refuse') this._send(socket, { id: frame.id, error: { code: 422, message: 'no' } });
      else reply({ method: frame.method, echo: frame.data ?? null });
    } else if (frame.op === 'refresh') {
      socket.token = frame.token;
      reply({ ttl: 3600 });
    } else {
      reply({});
    }
  }
}

function client(server, options = {}) {
  return new Herald('ws://herald.test/ws', {
    WebSocket: server.WebSocket,
    minDelay: 5,
    maxDelay: 40,
    timeout: 1000,
    ...options,
  });
}

test('backoff is full jitter under an exponential ceiling capped at maxDelay', () => {
  assert.equal(backoff(0, 500, 20000, () => 0), 0);
  assert.equal(backoff(0, 500, 20000, () => 0.999999), 499);
  assert.equal(backoff(3, 500, 20000, () => 0.5), 2000);
  assert.equal(backoff(10, 500, 20000, () => 0.999999), 19999);
  assert.equal(backoff(1000, 500, 20000, () => 0.5), 10000);
  const draws = Array.from({ length: 2000 }, () => backoff(4, 500, 20000));
  assert.ok(draws.every((d) => d >= 0 && d < 8000));
  assert.ok(Math.min(...draws) < 800 && Math.max(...draws) > 7200, 'spread over the whole range');
});

test('tokenTtl reads exp, and null without one', () => {
  const now = 1_700_000_000_000;
  assert.equal(tokenTtl(jwt({ sub: 'a', exp: now / 1000 + 60 }), now), 60);
  assert.equal(tokenTtl(jwt({ sub: 'a' }), now), null);
  assert.equal(tokenTtl('garbage', now), null);
});

test('after a dropped connection the client resubscribes from the last offset and sees no gap or duplicate', async () => {
  const server = new FakeHerald();
  const herald = client(server, { token: 't' });
  const seen = [];
  const sub = herald.subscribe('chat:a', { onMessage: (pub) => seen.push(pub.offset) });
  await sub.ready;
  server.publish('chat:a', 1);
  server.publish('chat:a', 2);
  await until(() => seen.length === 2, 'two messages');

  server.drop(1006);
  server.publish('chat:a', 3, { deliver: false }); // missed while away
  server.publish('chat:a', 4, { deliver: false });
  await until(() => seen.length === 4, 'the missed messages replayed');
  server.publish('chat:a', 5);
  await until(() => seen.length === 5, 'live again');

  assert.deepEqual(seen, [1, 2, 3, 4, 5]);
  const resubscribe = server.frames.filter((f) => f.op === 'subscribe')[1];
  assert.deepEqual(resubscribe.since, { offset: 2, epoch: 'e1' });
  herald.close();
});

test('duplicates are dropped and a gap makes the client ask the server again', async () => {
  const server = new FakeHerald();
  const herald = client(server, { token: 't' });
  const seen = [];
  const sub = herald.subscribe('chat:b', { onMessage: (pub) => seen.push(pub.offset) });
  await sub.ready;
  const first = server.publish('chat:b', 'x');
  server.push({ type: 'message', ...first }); // a duplicate
  server.publish('chat:b', 'y', { deliver: false }); // lost on the way
  server.publish('chat:b', 'z'); // arrives after a gap
  await until(() => seen.length === 3, 'the gap filled');
  assert.deepEqual(seen, [1, 2, 3]);
  const retry = server.frames.filter((f) => f.op === 'subscribe').pop();
  assert.deepEqual(retry.since, { offset: 1, epoch: 'e1' });
  herald.close();
});

test('onReset fires when the server says the position was lost (node restart)', async () => {
  const server = new FakeHerald();
  const herald = client(server, { token: 't' });
  const resets = [];
  const seen = [];
  const sub = herald.subscribe('chat:c', { onMessage: (p) => seen.push(p.data), onReset: (r) => resets.push(r) });
  await sub.ready;
  server.publish('chat:c', 'before');
  await until(() => seen.length === 1, 'first message');

  server.restart();
  server.drop(1012);
  await until(() => resets.length === 1, 'onReset');
  assert.deepEqual(resets[0], { channel: 'chat:c', offset: 0, epoch: 'e2' });
  server.publish('chat:c', 'after');
  await until(() => seen.length === 2, 'message of the new epoch');
  assert.deepEqual(seen, ['before', 'after']);
  herald.close();
});

test('reconnect:false stops the client; 4003 too', async () => {
  for (const [code, advice] of [[4003, null], [4001, { code: 4001, reason: 'expired', reconnect: false }]]) {
    const server = new FakeHerald();
    const herald = client(server, { token: 't' });
    const states = [];
    herald.on('state', (s) => states.push(s));
    await until(() => herald.state === 'connected', 'connected');
    server.drop(code, advice);
    await until(() => herald.state === 'disconnected', 'disconnected');
    await sleep(100);
    assert.equal(server.sockets.length, 1, `no reconnect after ${code}`);
    await assert.rejects(herald.publish('chat:x', 1), { code: code === 4003 ? 4003 : 4001 });
  }
});

test('a drain (1012) reconnects within minDelay; a rate-limit close (4029) backs off further', async () => {
  const delays = {};
  for (const code of [1012, 4029]) {
    const server = new FakeHerald();
    const herald = client(server, { token: 't', minDelay: 20, maxDelay: 2000, random: () => 0.99 });
    await until(() => herald.state === 'connected', 'connected');
    const dropped = Date.now();
    server.drop(code, { code, reason: 'x', reconnect: true });
    await until(() => server.sockets.length === 2, 'reconnected');
    delays[code] = Date.now() - dropped;
    herald.close();
  }
  assert.ok(delays[1012] < 100, `1012 came back in ${delays[1012]} ms`);
  assert.ok(delays[4029] >= 150, `4029 came back in ${delays[4029]} ms (ceiling 160 ms at attempt 3)`);
});

test('4001 fetches a new token with getToken before reconnecting', async () => {
  const server = new FakeHerald();
  let issued = 0;
  const herald = client(server, { getToken: async () => `token-${++issued}` });
  await until(() => herald.state === 'connected', 'connected');
  assert.equal(server.socket.token, 'token-1');
  server.drop(4001);
  await until(() => server.sockets.length === 2 && herald.state === 'connected', 'reconnected');
  assert.equal(server.socket.token, 'token-2');
  herald.close();
});

test('the token is refreshed in-band before it expires', async () => {
  const server = new FakeHerald();
  server.ttl = 1; // seconds: refresh due at 0.9 s
  let issued = 0;
  const herald = client(server, { getToken: async () => `token-${++issued}` });
  await until(() => server.frames.some((f) => f.op === 'refresh'), 'a refresh', 3000);
  const refresh = server.frames.find((f) => f.op === 'refresh');
  assert.equal(refresh.token, 'token-2');
  assert.equal(server.sockets.length, 1, 'refreshed without reconnecting');
  herald.close();
});

test('publish waits for the connection and answers with the offset', async () => {
  const server = new FakeHerald();
  const herald = client(server, { token: 't' });
  const result = await herald.publish('chat:d', { text: 'hi' });
  assert.deepEqual(result, { offset: 1 });
  herald.close();
});

test('rpc sends the method and data and answers with the backend result or its error', async () => {
  const server = new FakeHerald();
  const herald = client(server, { token: 't' });
  assert.deepEqual(await herald.rpc('sum', [1, 2]), { method: 'sum', echo: [1, 2] });
  assert.deepEqual(await herald.rpc('ping'), { method: 'ping', echo: null });
  await assert.rejects(herald.rpc('refuse', {}), (e) => e.code === 422 && e.message === 'no');
  const sent = server.frames.filter((f) => f.op === 'rpc');
  assert.deepEqual(sent.map(({ id, ...f }) => f), [
    { op: 'rpc', method: 'sum', data: [1, 2] },
    { op: 'rpc', method: 'ping' },
    { op: 'rpc', method: 'refuse', data: {} },
  ]);
  herald.close();
});

test('a server-side subscription (subscribe push) delivers to on("publication")', async () => {
  const server = new FakeHerald();
  const herald = client(server, { token: 't' });
  const seen = [];
  herald.on('publication', (pub) => seen.push(pub));
  await until(() => herald.state === 'connected', 'connected');
  server.socket.subscribed = new Set(['user:alice']);
  server._send(server.socket, { type: 'subscribe', channel: 'user:alice', epoch: 'e1', offset: 0 });
  await until(() => herald.subscription('user:alice') !== null, 'the subscription');
  server.publish('user:alice', 'hello');
  await until(() => seen.length === 1, 'the publication');
  assert.equal(seen[0].data, 'hello');
  herald.close();
});

test('a backend subscription is kept across a reconnect and recovers what was missed', async () => {
  const server = new FakeHerald();
  const herald = client(server, { token: 't' });
  const seen = [];
  herald.on('publication', (pub) => seen.push(pub.offset));
  await until(() => herald.state === 'connected', 'connected');
  server.socket.subscribed = new Set(['user:alice']);
  server._send(server.socket, { type: 'subscribe', channel: 'user:alice', epoch: 'e1', offset: 0 });
  await until(() => herald.subscription('user:alice')?.state === 'subscribed', 'the subscription');
  server.publish('user:alice', 'one');
  await until(() => seen.length === 1, 'the first publication');
  // The backend's claim subscribes the new connection again: its push comes while our own
  // subscribe (with since) is in flight, and must not move the position past what we missed.
  const original = server._frame.bind(server);
  server._frame = (socket, frame) => {
    if (frame.op === 'subscribe') {
      server._send(socket, { type: 'subscribe', channel: frame.channel, epoch: 'e1', offset: 2 });
    }
    original(socket, frame);
  };
  server.drop(1006);
  server.publish('user:alice', 'missed', { deliver: false });
  await until(() => server.sockets.length === 2 && herald.state === 'connected', 'reconnected');
  await until(() => seen.length === 2, 'the missed publication');
  const resubscribe = server.frames.filter((f) => f.op === 'subscribe').pop();
  assert.deepEqual(resubscribe.since, { offset: 1, epoch: 'e1' });
  assert.equal(server.frames.filter((f) => f.op === 'unsubscribe').length, 0);
  server.publish('user:alice', 'three');
  await until(() => seen.length === 3, 'the next publication');
  assert.deepEqual(seen, [1, 2, 3]);
  herald.close();
});

test('a subscribe refused with 409 while the backend subscribes the channel settles on its push', async () => {
  const server = new FakeHerald();
  const herald = client(server, { token: 't' });
  await until(() => herald.state === 'connected', 'connected');
  const original = server._frame.bind(server);
  server._frame = (socket, frame) => {
    if (frame.op !== 'subscribe') return original(socket, frame);
    server.frames.push(frame);
    const push = { type: 'subscribe', channel: frame.channel, epoch: 'e1', offset: 5 };
    const refusal = { id: frame.id, error: { code: 409, message: 'already subscribed' } };
    const pushFirst = frame.channel === 'chat:x';
    server._send(socket, pushFirst ? push : refusal);
    server._send(socket, pushFirst ? refusal : push);
  };
  for (const channel of ['chat:x', 'chat:y']) {
    const sub = herald.subscribe(channel);
    await sub.ready;
    await herald.publish('chat:other', 'a request answered after both frames');
    assert.equal(sub.state, 'subscribed', channel);
    assert.equal(sub.offset, 5, channel);
    assert.equal(herald.subscription(channel), sub, channel);
  }
  herald.close();
});

test('backend subscriptions are dropped when the client falls back to SSE', async () => {
  const server = new FakeHerald();
  const streams = [];
  const fetch = async (url) => {
    streams.push(String(url));
    const body = new ReadableStream({ start() {} });
    return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
  };
  const herald = client(server, { token: 't', fetch });
  const unsubscribed = [];
  await until(() => herald.state === 'connected', 'connected');
  server.socket.subscribed = new Set(['room:1']);
  server._send(server.socket, { type: 'subscribe', channel: 'room:1', epoch: 'e1', offset: 0 });
  await until(() => herald.subscription('room:1') !== null, 'the backend subscription');
  herald.subscribe('room:1', { onUnsubscribe: (info) => unsubscribed.push(info) }); // taken over
  herald.subscribe('chat:own');
  server.refuseUpgrade = true;
  server.drop(1006);
  await until(() => herald.transport === 'sse' && herald.state === 'connected', 'on SSE');
  assert.equal(herald.subscription('room:1'), null);
  assert.deepEqual(unsubscribed, [{ channel: 'room:1', reason: 'backend subscriptions need WebSocket' }]);
  await until(() => streams.length > 0, 'the stream');
  assert.ok(streams.every((u) => !u.includes('room')), `streams ${streams}`);
  assert.ok(streams.at(-1).includes('chat%3Aown'));
  herald.close();
});

test('when the upgrade is refused the client falls back to SSE down and POST up', async () => {
  const server = new FakeHerald();
  server.refuseUpgrade = true;
  const requests = [];
  let streamController;
  const encoder = new TextEncoder();
  const fetch = async (url, init = {}) => {
    requests.push({ url: String(url), init });
    if (String(url).includes('/sse/commands')) {
      const frame = JSON.parse(init.body);
      const result = frame.op === 'rpc' ? { echo: frame.data } : { offset: 7 };
      return new Response(JSON.stringify({ id: frame.id, result }), { status: 200 });
    }
    const body = new ReadableStream({
      start(controller) {
        streamController = controller;
        const cursor = Buffer.from('1;chat:e,e1,3').toString('base64url');
        controller.enqueue(encoder.encode(`retry: 3000\n\nid: ${cursor}\n\n`));
      },
    });
    return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
  };
  const herald = client(server, { token: 'tok', fetch });
  const seen = [];
  const sub = herald.subscribe('chat:e', { onMessage: (pub) => seen.push(pub.offset) });
  await sub.ready;
  assert.equal(herald.transport, 'sse');
  assert.equal(sub.offset, 3);
  const pub = { channel: 'chat:e', offset: 4, epoch: 'e1', data: 1, ts: 1 };
  streamController.enqueue(encoder.encode(`event: message\nid: x\ndata: ${JSON.stringify(pub)}\n\n`));
  await until(() => seen.length === 1, 'a message over SSE');
  assert.deepEqual(await herald.publish('chat:e', { text: 'up' }), { offset: 7 });
  assert.deepEqual(await herald.rpc('sum', [1, 2]), { echo: [1, 2] });

  const stream = requests.find((r) => r.url.includes('/sse?'));
  assert.equal(stream.url, 'http://herald.test/sse?channel=chat%3Ae');
  assert.equal(stream.init.headers.Authorization, 'Bearer tok');
  const post = requests.find((r) => r.url.endsWith('/sse/commands'));
  assert.deepEqual(JSON.parse(post.init.body), { id: 1, op: 'publish', channel: 'chat:e', data: { text: 'up' } });
  herald.close();
});
