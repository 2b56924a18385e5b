// herald.js: the Herald client for browsers and Node 20+ (an ES module with no dependencies).
// Protocol, options and events: the README's "Client" section.
//
//   import { Herald } from '/herald.js';
//   const herald = new Herald('wss://example.com/ws', { getToken: async () => fetchToken() });
//   const sub = herald.subscribe('chat:lobby', { onMessage(pub) { ... } });
//   await sub.ready;
//   await herald.publish('chat:lobby', { text: 'hi' });

/** Close codes after which the server asks us to come back at once (drain, restart). */
const RESTART = new Set([1001, 1012]);
/** Close codes after which we must slow down (rate limit, slow consumer). */
const SLOW_DOWN = new Set([4008, 4029]);
const UNAUTHORIZED = 4001;
const FORBIDDEN = 4003;

/**
 * Full-jitter exponential backoff: a uniform delay in [0, min(max, min * 2^attempt)), so that many
 * clients dropped at once come back spread out instead of in waves.
 */
export function backoff(attempt, minDelay, maxDelay, random = Math.random) {
  const ceiling = Math.min(maxDelay, minDelay * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** Seconds until the token's `exp`, or null when it has none or cannot be read. */
export function tokenTtl(token, now = Date.now()) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(part + '='.repeat((4 - (part.length % 4)) % 4)));
    return typeof claims.exp === 'number' ? claims.exp - now / 1000 : null;
  } catch {
    return null;
  }
}

/** An error the server answered with: `code` is the protocol's error code (400, 403, 429, ...; README "The protocol"). */
export class HeraldError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'HeraldError';
    this.code = code;
  }
}

/** One channel of a client: the last position delivered, and the callbacks of its user. */
class Subscription {
  constructor(herald, channel, handlers, serverSide = false) {
    this.channel = channel;
    this.offset = null;
    this.epoch = null;
    this.state = 'subscribing';
    this.serverSide = serverSide; // made by the backend and not taken over by subscribe() yet
    this._byServer = serverSide; // made by the backend: held on the server without a permission check
    this._pending = false; // our subscribe request is in flight
    this._pushed = null; // the position of a backend `subscribe` push that came meanwhile
    this._herald = herald;
    this._handlers = handlers;
    this._early = [];
    this._newReady();
  }

  unsubscribe() {
    this._herald._unsubscribe(this);
  }

  _newReady() {
    this.ready = new Promise((resolve, reject) => {
      this._resolve = resolve;
      this._reject = reject;
    });
    this.ready.catch(() => {}); // an unobserved failure is reported through onError, not as unhandled
  }

  _call(name, arg) {
    const handler = this._handlers[name];
    if (handler) {
      try {
        handler.call(this._handlers, arg);
      } catch (e) {
        this._herald._emit('error', e);
      }
    }
  }

  /** The position to resume from, or undefined on a first subscribe. */
  _since() {
    return this.epoch && this.offset != null ? { offset: this.offset, epoch: this.epoch } : undefined;
  }

  /**
   * Subscribed; the channel is at `position`. When we resumed within the same epoch, our own
   * position stays: the server replays what came after it. `lost` says it could not.
   */
  _subscribed(position, lost) {
    if (lost) {
      this._call('onReset', { channel: this.channel, offset: position.offset, epoch: position.epoch });
    }
    if (lost || this.offset == null || this.epoch !== position.epoch) {
      this.offset = position.offset;
      this.epoch = position.epoch;
    }
    this.state = 'subscribed';
    this._resolve(this);
    const early = this._early;
    this._early = [];
    early.forEach((pub) => this._deliver(pub));
  }

  /**
   * Hands a publication to onMessage exactly once and in order. Returns false on a gap, which the
   * caller repairs by resubscribing from the last position (the server replays what is missing).
   */
  _deliver(pub) {
    if (this.state === 'subscribing') {
      if (this._early.length < 10000) this._early.push(pub);
      return true;
    }
    if (this.state !== 'subscribed') return true;
    if (pub.epoch !== this.epoch) {
      this._call('onReset', { channel: this.channel, offset: pub.offset - 1, epoch: pub.epoch });
    } else if (pub.offset <= this.offset) {
      return true; // a duplicate of what was delivered already
    } else if (pub.offset > this.offset + 1) {
      return false;
    }
    this.offset = pub.offset;
    this.epoch = pub.epoch;
    this._call('onMessage', pub);
    this._herald._emit('publication', pub);
    return true;
  }
}

/** WebSocket transport: one socket, requests with ids, the `herald.json` subprotocol. */
class WebSocketTransport {
  constructor(herald) {
    this.name = 'websocket';
    this._herald = herald;
    this._pending = new Map();
    this._nextId = 1;
    this._advice = null;
  }

  open(token) {
    const WS = this._herald._options.WebSocket;
    if (!WS) throw new Error('no WebSocket implementation: pass options.WebSocket (Node 20: the ws package)');
    const socket = new WS(this._herald._urls.ws, 'herald.json');
    this._socket = socket;
    socket.onopen = () => {
      this.opened = true;
      this.request('connect', token ? { token } : {}).then(
        (result) => this._herald._connected(this, result),
        (error) => this._herald._emit('error', error),
      );
    };
    socket.onmessage = (event) => this._frame(event.data);
    socket.onclose = (event) => this._closed(event.code, event.reason);
    socket.onerror = () => {}; // onclose follows with the code
  }

  request(op, fields = {}) {
    const id = this._nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this._pending.delete(id);
        reject(new HeraldError(504, `${op}: no reply within ${this._herald._options.timeout} ms`));
      }, this._herald._options.timeout);
      this._pending.set(id, { resolve, reject, timer });
      try {
        this._socket.send(JSON.stringify({ id, op, ...fields }));
      } catch (e) {
        clearTimeout(timer);
        this._pending.delete(id);
        reject(e);
      }
    });
  }

  subscribe(sub) {
    const since = sub._since();
    sub._pending = true;
    sub._pushed = null;
    this.request('subscribe', since ? { channel: sub.channel, since } : { channel: sub.channel }).then(
      (result) => {
        sub._pending = false;
        sub._subscribed(result, since !== undefined && result.recovered === false);
      },
      (error) => {
        sub._pending = false;
        this._herald._subscribeFailed(sub, error);
      },
    );
  }

  unsubscribe(channel) {
    this.request('unsubscribe', { channel }).catch(() => {});
  }

  close() {
    this._closing = true;
    try {
      this._socket.close(1000);
    } catch {
      // already closed
    }
  }

  _frame(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.id !== undefined && !frame.type) {
      const pending = this._pending.get(frame.id);
      if (!pending) return;
      this._pending.delete(frame.id);
      clearTimeout(pending.timer);
      if (frame.error) pending.reject(new HeraldError(frame.error.code, frame.error.message));
      else pending.resolve(frame.result ?? {});
      return;
    }
    if (frame.type === 'disconnect') {
      this._advice = frame;
    } else {
      this._herald._push(this, frame);
    }
  }

  _closed(code, reason) {
    for (const pending of this._pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new HeraldError(503, 'connection closed'));
    }
    this._pending.clear();
    if (this._closing) return;
    const advice = this._advice;
    this._herald._lost(this, {
      code: advice ? advice.code : code,
      reason: advice ? advice.reason : reason,
      reconnect: advice ? advice.reconnect !== false : code !== FORBIDDEN,
    });
  }
}

/**
 * Reads a text/event-stream body until it ends or `signal` aborts, calling `onEvent` with each event
 * as `{type, data: [lines], id}` (comments skipped). Also used by the console page.
 */
export async function readEventStream(body, signal, onEvent) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = { type: 'message', data: [], id: null };
  while (!signal.aborted) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (line === '') {
        onEvent(event);
        event = { type: 'message', data: [], id: null };
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event.type = value;
        else if (field === 'data') event.data.push(value);
        else if (field === 'id') event.id = value;
      }
    }
  }
}

// The SSE cursor is opaque to applications; this client, shipped with the server, reads and writes
// it: base64url (no padding) of "1;<channel>,<epoch>,<offset>;...".
function decodeCursor(cursor) {
  const positions = new Map();
  try {
    const text = atob(cursor.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (cursor.length % 4)) % 4));
    for (const entry of text.split(';').slice(1)) {
      const [channel, epoch, offset] = entry.split(',');
      positions.set(channel, { epoch, offset: Number(offset) });
    }
  } catch {
    // not a cursor of ours: no positions
  }
  return positions;
}

/** The cursor of what onMessage has seen on `subs`, so a new stream resumes exactly there. */
function encodeCursor(subs) {
  const entries = subs.filter((s) => s.epoch && s.offset != null).map((s) => `;${s.channel},${s.epoch},${s.offset}`);
  if (entries.length === 0) return null;
  const bytes = new TextEncoder().encode('1' + entries.join(''));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * SSE transport, for networks that refuse WebSocket upgrades: the stream (read with fetch, so the
 * token goes in a header and Node needs nothing extra) carries publications down; commands go up as
 * HTTP POSTs to any node. A change of channels reopens the stream from the positions delivered so
 * far, so nothing is missed in between.
 */
class SseTransport {
  constructor(herald) {
    this.name = 'sse';
    this._herald = herald;
  }

  open(token) {
    this._token = token;
    this._stream();
  }

  request(op, fields = {}) {
    const options = this._herald._options;
    const headers = { 'Content-Type': 'application/json' };
    if (this._token) headers.Authorization = `Bearer ${this._token}`;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), options.timeout);
    return options
      .fetch(this._herald._urls.command, {
        method: 'POST',
        headers,
        body: JSON.stringify({ id: 1, op, ...fields }),
        signal: abort.signal,
      })
      .then(async (response) => {
        const frame = await response.json().catch(() => ({}));
        if (frame.error) throw new HeraldError(frame.error.code, frame.error.message);
        if (!response.ok) throw new HeraldError(response.status, response.statusText);
        return frame.result ?? {};
      })
      .catch((e) => {
        throw e.name === 'AbortError' ? new HeraldError(504, `${op}: no reply within ${options.timeout} ms`) : e;
      })
      .finally(() => clearTimeout(timer));
  }

  subscribe(sub) {
    if (!this._channels?.has(sub.channel)) this._restart();
  }

  unsubscribe() {
    this._restart();
  }

  close() {
    this._closing = true;
    this._abort?.abort();
  }

  /** Reopens the stream with the current channel set, resuming from the last event id. */
  _restart() {
    if (this._restartQueued) return;
    this._restartQueued = true;
    queueMicrotask(() => {
      this._restartQueued = false;
      if (this._closing) return;
      this._abort?.abort();
      this._stream();
    });
  }

  async _stream() {
    const herald = this._herald;
    const subs = [...herald._subs.values()].filter((s) => !s._byServer); // backend ones are WebSocket's
    this._channels = new Set(subs.map((s) => s.channel));
    if (subs.length === 0) {
      // Nothing to stream: commands still go up as POSTs.
      this._abort = null;
      if (!this.opened) {
        this.opened = true;
        herald._connected(this, { client: null, node: null, ttl: this._token ? tokenTtl(this._token) : null });
      }
      return;
    }
    const url = new URL(herald._urls.sse);
    subs.forEach((s) => url.searchParams.append('channel', s.channel));
    const headers = { Accept: 'text/event-stream' };
    if (this._token) headers.Authorization = `Bearer ${this._token}`;
    const cursor = encodeCursor(subs);
    if (cursor) headers['Last-Event-ID'] = cursor;
    const abort = new AbortController();
    this._abort = abort;
    this._pendingSubs = new Set(subs);
    let response;
    try {
      response = await herald._options.fetch(url, { headers, signal: abort.signal, cache: 'no-store' });
    } catch {
      if (abort === this._abort && !this._closing) herald._lost(this, { code: 1006, reason: 'unreachable', reconnect: true });
      return;
    }
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      const code = response.status === 401 ? UNAUTHORIZED : response.status === 429 ? 4029 : response.status;
      const reason = body.error?.message ?? response.statusText;
      if (response.status === 403 || response.status === 400) {
        subs.forEach((s) => herald._subscribeFailed(s, new HeraldError(response.status, reason)));
      }
      if (abort === this._abort) herald._lost(this, { code, reason, reconnect: true });
      return;
    }
    if (!this.opened) {
      this.opened = true;
      herald._connected(this, { client: null, node: null, ttl: this._token ? tokenTtl(this._token) : null });
    }
    try {
      await readEventStream(response.body, abort.signal, (event) => this._event(event));
    } catch {
      // aborted or broken: handled below
    }
    if (abort !== this._abort || this._closing) return;
    const advice = this._advice;
    this._advice = null;
    herald._lost(this, advice ?? { code: 1006, reason: 'stream ended', reconnect: true });
  }

  _event(event) {
    const herald = this._herald;
    if (event.id !== null && event.data.length === 0) this._checkpoint(event.id); // every channel is live
    if (event.data.length === 0) return;
    let data;
    try {
      data = JSON.parse(event.data.join('\n'));
    } catch {
      return;
    }
    if (event.type === 'message') {
      herald._push(this, { type: 'message', ...data });
    } else if (event.type === 'reset') {
      const positions = decodeCursor(event.id ?? '');
      for (const channel of data.channels ?? []) {
        herald._push(this, { type: 'reset', channel, ...positions.get(channel) });
      }
    } else if (event.type === 'disconnect') {
      this._advice = data;
    }
  }

  /** The id-only block: every channel is subscribed at the positions the cursor holds. */
  _checkpoint(cursor) {
    const positions = decodeCursor(cursor);
    for (const sub of this._pendingSubs ?? []) {
      const position = positions.get(sub.channel);
      // A lost position is announced by a reset event before this block, which moves the
      // subscription to the new epoch; an epoch change without one is reported here.
      if (sub.state === 'subscribing' && position) {
        sub._subscribed(position, sub.epoch !== null && sub.epoch !== position.epoch);
      }
    }
    this._pendingSubs = null;
  }
}

/**
 * A connection to Herald that survives network trouble: reconnects with backoff and full jitter,
 * resubscribes from the last offsets so that onMessage sees no gap and no duplicate, refreshes the
 * token before it expires, and falls back to SSE plus HTTP POST where WebSocket cannot connect.
 */
export class Herald {
  constructor(url, options = {}) {
    const base = new URL(url, typeof location === 'undefined' ? undefined : location.href);
    const http = base.protocol === 'wss:' ? 'https:' : base.protocol === 'ws:' ? 'http:' : base.protocol;
    const root = `${http}//${base.host}${base.pathname.replace(/\/ws\/?$/, '')}`;
    this._urls = {
      ws: `${http === 'https:' ? 'wss:' : 'ws:'}//${base.host}${base.pathname}${base.search}`,
      sse: options.sseUrl ?? `${root}/sse`,
      command: options.commandUrl ?? `${root}/sse/commands`,
    };
    this._options = {
      token: null,
      getToken: null,
      minDelay: 500,
      maxDelay: 20000,
      timeout: 10000,
      transports: ['websocket', 'sse'],
      WebSocket: globalThis.WebSocket,
      fetch: globalThis.fetch?.bind(globalThis),
      random: Math.random,
      autoConnect: true,
      ...options,
    };
    this._token = this._options.token;
    this._subs = new Map();
    this._listeners = new Map();
    this._attempt = 0;
    this._transportIndex = 0;
    this._waiters = [];
    this.state = 'disconnected';
    this.transport = null;
    this.client = null;
    this._stopError = null;
    if (this._options.autoConnect) {
      // Connecting from now, so that requests made right away wait; listeners added after the
      // constructor still see the first 'state' event.
      this.state = 'connecting';
      queueMicrotask(() => {
        if (this._stopped || this._active) return;
        this._emit('state', 'connecting');
        this._open();
      });
    }
  }

  /** Listens to 'state', 'connected', 'disconnected', 'publication', 'subscribe', 'error'. */
  on(event, listener) {
    if (!this._listeners.has(event)) this._listeners.set(event, new Set());
    this._listeners.get(event).add(listener);
    return () => this._listeners.get(event)?.delete(listener);
  }

  connect() {
    if (this.state !== 'disconnected') return;
    this._stopped = false;
    this._stopError = null;
    this._setState('connecting');
    this._open();
  }

  close() {
    this._stopped = true;
    this._stopError = new HeraldError(503, 'client closed');
    clearTimeout(this._retryTimer);
    clearTimeout(this._refreshTimer);
    this._active?.close();
    this._active = null;
    this._rejectWaiters(this._stopError);
    this._setState('disconnected');
  }

  subscribe(channel, handlers = {}) {
    const existing = this._subs.get(channel);
    if (existing && existing.state !== 'unsubscribed') {
      if (!existing.serverSide) throw new HeraldError(409, `already subscribed to ${channel}`);
      existing._handlers = handlers; // take over a subscription the backend made
      existing.serverSide = false;
      return existing;
    }
    const sub = new Subscription(this, channel, handlers);
    this._subs.set(channel, sub);
    if (this.state === 'connected') this._active.subscribe(sub);
    return sub;
  }

  /** The subscription of `channel`, also one the backend made (a server-side subscribe). */
  subscription(channel) {
    return this._subs.get(channel) ?? null;
  }

  publish(channel, data) {
    return this._request('publish', { channel, data });
  }

  presence(channel) {
    return this._request('presence', { channel });
  }

  /**
   * Calls `method` on the backend (the server's `herald.proxy.rpc`) with `data`: resolves with the
   * backend's `result`, rejects with a HeraldError carrying the backend's own code and message, or
   * 404 when the server has no rpc backend (README "Backend integration").
   */
  rpc(method, data) {
    return this._request('rpc', data === undefined ? { method } : { method, data });
  }

  history(channel, { limit, since } = {}) {
    const fields = { channel };
    if (limit !== undefined) fields.limit = limit;
    if (since !== undefined) fields.since = since;
    return this._request('history', fields);
  }

  // --- internals ---------------------------------------------------------------------------------

  async _request(op, fields) {
    await this._whenConnected();
    return this._active.request(op, fields);
  }

  _whenConnected() {
    if (this.state === 'connected') return Promise.resolve();
    if (this._stopped || this.state === 'disconnected') {
      return Promise.reject(this._stopError ?? new HeraldError(503, 'not connected: call connect()'));
    }
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      waiter.timer = setTimeout(() => {
        this._waiters = this._waiters.filter((w) => w !== waiter);
        reject(new HeraldError(504, `not connected within ${this._options.timeout} ms`));
      }, this._options.timeout);
      this._waiters.push(waiter);
    });
  }

  _rejectWaiters(error) {
    this._waiters.forEach((w) => {
      clearTimeout(w.timer);
      w.reject(error);
    });
    this._waiters = [];
  }

  async _open() {
    let token = this._token;
    const ttl = token ? tokenTtl(token) : null;
    if (this._options.getToken && (!token || (ttl !== null && ttl < 5))) {
      try {
        token = this._token = await this._options.getToken();
      } catch (e) {
        this._emit('error', e);
        this._retry(this._attempt++);
        return;
      }
    }
    if (this._stopped) return;
    const names = this._options.transports;
    const name = names[this._transportIndex % names.length];
    const transport = name === 'sse' ? new SseTransport(this) : new WebSocketTransport(this);
    this._active = transport;
    try {
      transport.open(token);
    } catch (e) {
      this._emit('error', e);
      this._lost(transport, { code: 1006, reason: e.message, reconnect: true });
    }
  }

  _connected(transport, result) {
    if (transport !== this._active) return;
    this._attempt = 0;
    this.transport = transport.name;
    this.client = result.client ?? null;
    this._setState('connected');
    this._emit('connected', { transport: transport.name, client: this.client, node: result.node ?? null });
    this._scheduleRefresh(result.ttl);
    for (const sub of this._subs.values()) {
      if (sub.state === 'unsubscribed') continue;
      if (sub._byServer && transport.name !== 'websocket') {
        sub.state = 'unsubscribed'; // backend subscriptions are WebSocket's (README)
        this._subs.delete(sub.channel);
        sub._call('onUnsubscribe', { channel: sub.channel, reason: 'backend subscriptions need WebSocket' });
        continue;
      }
      sub.state = 'subscribing';
      transport.subscribe(sub); // backend subscriptions too: their recovery is the server's takeover
    }
    this._waiters.forEach((w) => {
      clearTimeout(w.timer);
      w.resolve();
    });
    this._waiters = [];
  }

  /** The connection is gone: decide from the server's advice whether and when to come back. */
  _lost(transport, { code, reason, reconnect }) {
    if (transport !== this._active || this._stopped) return;
    clearTimeout(this._refreshTimer);
    this._active = null;
    for (const sub of this._subs.values()) {
      if (sub.state === 'subscribed') sub.state = 'subscribing';
    }
    this._emit('disconnected', { code, reason, reconnect });
    if (!reconnect || code === FORBIDDEN) {
      this._stop(new HeraldError(code, reason || 'disconnected by the server'));
      return;
    }
    this._setState('connecting');
    if (!transport.opened && this._options.transports.length > 1) {
      this._transportIndex++; // this transport could not even connect: try the next one
    }
    if (RESTART.has(code)) {
      this._retryAfter(Math.floor(this._options.random() * this._options.minDelay));
    } else if (code === UNAUTHORIZED && this._options.getToken) {
      this._token = null; // fetch a fresh one before reconnecting
      this._retry(this._attempt++);
    } else if (code === UNAUTHORIZED) {
      this._stop(new HeraldError(UNAUTHORIZED, reason || 'unauthorized: give a token or getToken'));
    } else if (SLOW_DOWN.has(code)) {
      this._attempt = Math.max(this._attempt, 3);
      this._retry(this._attempt++);
    } else {
      this._retry(this._attempt++);
    }
  }

  /** Gives up: the server said not to come back, or nothing can make the next attempt succeed. */
  _stop(error) {
    this._stopped = true;
    this._stopError = error;
    this._rejectWaiters(error);
    this._setState('disconnected');
  }

  _retry(attempt) {
    this._retryAfter(backoff(attempt, this._options.minDelay, this._options.maxDelay, this._options.random));
  }

  _retryAfter(delay) {
    clearTimeout(this._retryTimer);
    this._retryTimer = setTimeout(() => !this._stopped && this._open(), delay);
  }

  /** Refreshes the token in-band a little before it expires (WebSocket), or reopens the stream (SSE). */
  _scheduleRefresh(ttl) {
    clearTimeout(this._refreshTimer);
    if (!this._options.getToken || typeof ttl !== 'number') return;
    const lead = Math.min(30, ttl * 0.1);
    this._refreshTimer = setTimeout(() => this._refresh(), Math.max(0, (ttl - lead) * 1000));
  }

  async _refresh() {
    const transport = this._active;
    try {
      const token = await this._options.getToken();
      if (transport !== this._active || this._stopped) return;
      this._token = token;
      if (transport.name === 'websocket') {
        const result = await transport.request('refresh', { token });
        this._scheduleRefresh(result.ttl);
      } else {
        transport._token = token;
        transport._restart(); // the stream resumes from the last positions with the new token
        this._scheduleRefresh(tokenTtl(token));
      }
    } catch (e) {
      this._emit('error', e);
      if (transport === this._active) this._refreshTimer = setTimeout(() => this._refresh(), 5000);
    }
  }

  _push(transport, frame) {
    if (transport !== this._active) return;
    const sub = this._subs.get(frame.channel);
    if (frame.type === 'subscribe') {
      const position = { offset: frame.offset, epoch: frame.epoch };
      if (sub && sub.state !== 'unsubscribed' && sub._pending) {
        sub._pushed = position; // our own subscribe in flight answers, with recovery from our offset
        return;
      }
      let target = sub;
      if (!target || target.state === 'unsubscribed') {
        target = new Subscription(this, frame.channel, {}, true);
        this._subs.set(frame.channel, target);
      }
      target._byServer = true;
      target._subscribed(position, false);
      this._emit('subscribe', { channel: frame.channel, subscription: target });
      return;
    }
    if (!sub) return;
    if (frame.type === 'message') {
      const { type, ...pub } = frame;
      if (!sub._deliver(pub)) this._resubscribe(sub);
    } else if (frame.type === 'reset') {
      if (frame.offset !== undefined) {
        sub.offset = frame.offset;
        sub.epoch = frame.epoch;
      }
      sub._call('onReset', { channel: frame.channel, offset: frame.offset, epoch: frame.epoch });
    } else if (frame.type === 'join') {
      sub._call('onJoin', frame);
    } else if (frame.type === 'leave') {
      sub._call('onLeave', frame);
    } else if (frame.type === 'unsubscribe') {
      sub.state = 'unsubscribed';
      this._subs.delete(sub.channel);
      sub._call('onUnsubscribe', { channel: sub.channel, reason: frame.reason });
    }
  }

  /** A gap: ask the server again from the last offset delivered; it replays what is missing. */
  _resubscribe(sub) {
    sub.state = 'subscribing';
    if (this._active.name === 'websocket') {
      // A backend subscription is taken over in place (unsubscribing would give it up).
      if (!sub._byServer) this._active.unsubscribe(sub.channel);
      this._active.subscribe(sub);
    } else {
      this._active._restart();
    }
  }

  _subscribeFailed(sub, error) {
    if (error.code === 503 || error.code === 504) return; // the connection is going; resubscribed at reconnect
    if (error.code === 409) {
      // The backend is subscribing this connection to the channel right now: its push settles it.
      if (sub._pushed) sub._subscribed(sub._pushed, false);
      return;
    }
    sub.state = 'unsubscribed';
    if (this._subs.get(sub.channel) === sub) this._subs.delete(sub.channel);
    sub._reject(error);
    sub._call('onError', error);
  }

  _unsubscribe(sub) {
    if (sub.state === 'unsubscribed') return;
    sub.state = 'unsubscribed';
    if (this._subs.get(sub.channel) === sub) this._subs.delete(sub.channel);
    if (this.state === 'connected') this._active.unsubscribe(sub.channel);
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this._emit('state', state);
  }

  _emit(event, value) {
    for (const listener of this._listeners.get(event) ?? []) {
      try {
        listener(value);
      } catch (e) {
        if (event !== 'error') this._emit('error', e);
      }
    }
  }
}
