// actorchat browser client: one room (#lobby), a log and an input box.
// Protocol: docs/PROTOCOL.md. User data only ever goes through textContent.
'use strict';

(() => {
  const ROOM = 'lobby';
  const WS_URL = (location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + location.host + '/ws';
  const BACKOFF_MIN = 500, BACKOFF_MAX = 10000; // ms
  const MAX_LINES = 1000;   // older lines are dropped from the top of the log
  const BOTTOM_SLACK = 8;   // px: "at the bottom" tolerance (zoom/subpixel rounding)
  const HINT = 'Enter to send, Shift+Enter for a new line';
  const CLOSE_REASONS = {
    1000: 'closed', 1001: 'server shutting down', 1002: 'protocol error',
    1003: 'binary frames are not accepted', 1006: 'connection lost', 1007: 'invalid UTF-8',
    1008: 'dropped for reading too slowly', 1009: 'message too big',
  };

  const $ = (id) => document.getElementById(id);
  const log = $('log'), jump = $('jump'), input = $('input'), send = $('send');
  const form = $('compose'), hint = $('hint'), statusEl = $('status'), nickEl = $('nick');
  const utf8 = new TextEncoder();

  let ws = null;          // current socket (a stale one's events are ignored)
  let ready = false;      // welcome received on the current socket
  let nick = null;
  let maxBytes = 4096;    // replaced by welcome.limits.max_message_size
  let boot = null;        // server boot id from the last welcome
  const lastSeq = new Map(); // room -> highest seq shown (valid for `boot` only)
  let backoff = BACKOFF_MIN;
  let retryTimer = 0, tickTimer = 0;

  // ---- log -------------------------------------------------------------

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  const atBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight <= BOTTOM_SLACK;
  let stuck = true;  // is the reader following the bottom of the log?
  let lastTop = 0;   // scrollTop as of the last scroll event / our own scroll

  // Scroll rule: follow new lines only if the reader was already at the bottom
  // *before* they were added; otherwise leave the view alone and offer a button.
  function append(nodes) {
    if (!nodes.length) return;
    log.append(...nodes);
    if (log.childElementCount > MAX_LINES) {
      // Drop the oldest lines, 10% at a time (scrollTop snaps to whole pixels, so
      // trimming line by line would let a scrolled-up view creep); if the reader
      // is up in the log, scroll back by exactly what the kept lines moved.
      const extra = log.childElementCount - Math.floor(MAX_LINES * 0.9);
      const keep = log.children[extra], y = keep.getBoundingClientRect().top;
      for (let i = 0; i < extra; i++) log.firstElementChild.remove();
      if (!stuck) log.scrollTop += keep.getBoundingClientRect().top - y;
    }
    if (stuck) toBottom();
    else jump.hidden = false;
  }

  function toBottom() {
    log.scrollTop = log.scrollHeight;
    lastTop = log.scrollTop;
    stuck = true;
    jump.hidden = true;
  }

  // "At the bottom" is a state, not a measurement at append time: the log also
  // shrinks without anyone scrolling (status wraps, textarea grows, a phone
  // keyboard opens), and a scroll event for our own toBottom() can arrive after
  // such a shrink. So only the reader scrolling *up* unsticks; reaching the
  // bottom sticks again; a resize while stuck re-pins to the bottom.
  log.addEventListener('scroll', () => {
    const top = log.scrollTop;
    stuck = atBottom() || (stuck && top >= lastTop - 1);
    lastTop = top;
    if (stuck) jump.hidden = true;
  });
  new ResizeObserver(() => { if (stuck) toBottom(); }).observe(log);
  jump.addEventListener('click', () => { toBottom(); input.focus(); });

  function hhmm(ts) {
    const d = new Date(ts);
    return String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0');
  }

  function messageLine(m) {
    const line = el('div', m.from === nick ? 'msg own' : 'msg');
    const time = el('time', 'ts', hhmm(m.ts));
    const d = new Date(m.ts);
    if (!isNaN(d)) { time.dateTime = d.toISOString(); time.title = d.toLocaleString(); }
    const body = el('div', 'body');
    body.append(el('span', 'from', m.from), ' ', el('span', 'text', m.text));
    line.append(time, body);
    return line;
  }

  const systemLine = (text, kind) => el('div', 'sys' + (kind ? ' ' + kind : ''), text);
  const system = (text, kind) => append([systemLine(text, kind)]);

  // ---- status & input state -------------------------------------------

  function setStatus(state, text) {
    statusEl.dataset.state = state;
    statusEl.textContent = text;
  }

  function setReady(on) {
    ready = on;
    send.disabled = !on;
    input.placeholder = on ? 'Message #' + ROOM : 'Not connected: sending is paused';
  }

  function showHint(text, isError) {
    hint.textContent = text || HINT;
    hint.classList.toggle('error', !!isError);
    input.setAttribute('aria-invalid', isError ? 'true' : 'false');
  }

  // Grow the textarea with its content, up to the max-height set in CSS.
  // Measuring at height:auto briefly makes the log taller, which clamps its
  // scrollTop; put it back so the reader's view (and `stuck`) is not disturbed.
  function autosize() {
    const top = log.scrollTop;
    input.style.height = 'auto';
    input.style.height = input.scrollHeight + (input.offsetHeight - input.clientHeight) + 'px';
    log.scrollTop = top;
  }

  const tooBig = (text) => utf8.encode(text).length > maxBytes;

  // ---- connection ------------------------------------------------------

  function connect() {
    clearTimeout(retryTimer); clearInterval(tickTimer);
    setStatus('connecting', 'connecting…');
    const sock = new WebSocket(WS_URL);
    ws = sock;
    sock.onmessage = (ev) => { if (sock === ws) receive(ev.data); };
    sock.onclose = (ev) => { if (sock === ws) closed(ev); };
  }

  function closed(ev) {
    const wasReady = ready;
    ws = null;
    setReady(false);
    const why = CLOSE_REASONS[ev.code] || ('code ' + ev.code);
    const reason = ev.reason && ev.reason !== why ? why + ': ' + ev.reason : why;
    // Exponential backoff with jitter: wait between half and all of `backoff`,
    // so that many clients dropped at once don't all come back in the same instant.
    const delay = backoff / 2 + Math.random() * backoff / 2;
    backoff = Math.min(backoff * 2, BACKOFF_MAX);
    const due = Date.now() + delay;
    const tick = () => {
      const s = Math.max(1, Math.ceil((due - Date.now()) / 1000));
      // non-breaking spaces: on a narrow screen the line wraps at the '·' only
      setStatus('disconnected', 'disconnected (' + why + ') · reconnecting\u00a0in\u00a0' + s + '\u00a0s');
    };
    tick();
    tickTimer = setInterval(tick, 250);
    if (wasReady) system('Disconnected (' + reason + ')', 'warn');
    retryTimer = setTimeout(connect, delay);
  }

  // A frame holds one or more JSON objects separated by '\n'.
  function receive(data) {
    if (typeof data !== 'string') return;
    const nodes = [];
    for (const part of data.split('\n')) {
      if (!part) continue;
      let obj;
      try { obj = JSON.parse(part); } catch { console.warn('actorchat: bad JSON', part); continue; }
      if (obj && obj.type === 'welcome') welcome(obj, nodes);
      else if (obj && obj.type === 'message') message(obj, nodes);
      // unknown types are ignored
    }
    append(nodes);
  }

  function welcome(w, nodes) {
    // Dedupe rule, part 1: seq numbers only mean something within one server
    // boot. A different boot means the server restarted and its (in-memory)
    // history and seq counters started over, so forget what we have seen.
    if (boot !== null && w.boot !== boot) {
      nodes.push(systemLine('Server restarted: earlier messages are not in its history', 'warn'));
      lastSeq.clear();
    }
    boot = w.boot;
    nick = w.nick;
    maxBytes = (w.limits && w.limits.max_message_size) || maxBytes;
    nickEl.textContent = nick;
    backoff = BACKOFF_MIN; // a real session started: next drop retries quickly again
    setStatus('connected', 'connected');
    setReady(true);
    nodes.push(systemLine('Connected as ' + nick));
    showHint(tooBig(input.value) ? sizeError() : '', tooBig(input.value));
  }

  function message(m, nodes) {
    // Dedupe rule, part 2: after a reconnect to the same boot, the server replays
    // recent history that overlaps what is already shown; drop seq <= last seen.
    const last = lastSeq.get(m.room) || 0;
    if (m.seq <= last) return;
    if (last > 0 && m.seq > last + 1) {
      const n = m.seq - last - 1;
      nodes.push(systemLine(n + (n === 1 ? ' message' : ' messages') + ' missed while disconnected', 'warn'));
    }
    lastSeq.set(m.room, m.seq);
    nodes.push(messageLine(m));
  }

  // ---- sending ---------------------------------------------------------

  const sizeError = () => 'Too long for one message (limit ' + maxBytes + ' bytes of UTF-8)';

  function submit() {
    const text = input.value;
    if (!text.trim()) return;
    if (!ready || !ws || ws.readyState !== WebSocket.OPEN) {
      showHint('Not connected: the message was not sent', true);
      return;
    }
    // The server closes the connection (1009) on an oversized frame: check first.
    if (tooBig(text)) { showHint(sizeError(), true); return; }
    ws.send(text);
    input.value = '';
    autosize();
    showHint('');
    input.focus();
  }

  form.addEventListener('submit', (e) => { e.preventDefault(); submit(); });
  input.addEventListener('keydown', (e) => {
    // Enter sends, Shift+Enter is a newline; never interrupt IME composition.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
  });
  input.addEventListener('input', () => {
    autosize();
    // Only touch the (live) hint when the state flips, not on every keystroke.
    const big = tooBig(input.value);
    if (big !== hint.classList.contains('error')) showHint(big ? sizeError() : '', big);
  });
  // Back online: don't wait out the backoff.
  window.addEventListener('online', () => { if (!ws) connect(); });

  setReady(false);
  connect();
  input.focus();
})();
