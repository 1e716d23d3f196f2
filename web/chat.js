// actorchat browser client: rooms, nickname, members, scrollback, resume after reconnect.
// Protocol: docs/PROTOCOL.md. User data only ever goes through textContent.
'use strict';

(() => {
  const WS_URL = (location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + location.host + '/ws?autojoin=false';
  const BACKOFF_MIN = 500, BACKOFF_MAX = 10000; // ms
  const MAX_LINES = 2000;   // per room; trimmed from the top, only while the reader follows the bottom
  const BOTTOM_SLACK = 8;   // px: "at the bottom" tolerance (zoom/subpixel rounding)
  const TOP_SLACK = 48;     // px: this close to the top loads the previous history page
  const PAGE = 50;          // history page size
  const GROUP_GAP = 5 * 60 * 1000; // ms: a sender's lines closer than this are grouped
  const FIRST_ROOM = 'lobby';
  const HOLE_TEXT = 'Some messages were missed while disconnected';
  const ROOM_RE = /^[a-z0-9][a-z0-9._-]{0,31}$/;
  const ROOM_RULE = 'Room names are 1–32 characters: lowercase a–z, 0–9, "-", "_", ".", starting with a letter or digit';
  // Handled by the page itself even when the server's behaviours answer them too.
  const LOCAL_COMMANDS = new Set(['join', 'leave', 'nick', 'who', 'me', 'help']);
  let serverCommands = new Map(); // name -> {name, usage, help}, from the welcome
  const HINT = 'Enter to send, Shift+Enter for a new line, Up recalls · /join room · /leave · /nick name · /who · /me';
  const CLOSE_REASONS = {
    1000: 'closed', 1001: 'server shutting down', 1002: 'protocol error',
    1003: 'binary frames are not accepted', 1006: 'connection lost', 1007: 'invalid UTF-8',
    1008: 'dropped for reading too slowly', 1009: 'message too big',
  };

  const $ = (id) => document.getElementById(id);
  const logs = $('logs'), jump = $('jump'), input = $('input'), send = $('send'), form = $('compose');
  const hint = $('hint'), statusEl = $('status'), nickBtn = $('nick'), empty = $('empty');
  const roomTitle = $('room-title'), leaveBtn = $('leave'), membersToggle = $('members-toggle');
  const roomList = $('roomlist'), memberList = $('memberlist'), membersTitle = $('members-title');
  const joinForm = $('joinform'), joinInput = $('joininput'), joinErr = $('joinerr'), addRoom = $('add-room');
  const nickForm = $('nickform'), nickInput = $('nickinput'), nickErr = $('nickerr'), nickShow = $('nick-show');
  const nickLabel = nickForm.querySelector('label'), nickCancel = $('nickcancel');
  const utf8 = new TextEncoder();

  // localStorage may be unavailable (privacy modes): the page then just forgets.
  const store = {
    get(k) { try { return localStorage.getItem('actorchat.' + k); } catch { return null; } },
    set(k, v) { try { if (v === null) localStorage.removeItem('actorchat.' + k); else localStorage.setItem('actorchat.' + k, v); } catch { /* ignore */ } },
  };

  let ws = null;          // current socket (a stale one's events are ignored)
  let ready = false;      // welcome received on the current socket
  let conn = 0;           // counts connections; tags echoes with the one they were sent on
  let nick = null;
  const myNicks = new Set(); // every nick this page had: a replayed message of ours may carry an old one
  let maxBytes = 4096, pageMax = 200; // from welcome.limits
  let backoff = BACKOFF_MIN, retryTimer = 0, tickTimer = 0, nickTimer = 0, nickTries = 0;
  let nextId = 0;
  const pending = new Map(); // request id -> what we asked, so replies/errors find their context
  const rooms = new Map();   // name -> room state, in list order
  let current = null;        // the visible room
  let batch = null;          // room -> nodes, collected while handling one frame
  let firstVisit = store.get('rooms') === null; // nothing remembered: join the lobby

  // ---- helpers -----------------------------------------------------------

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  const plural = (n, one, many) => n + ' ' + (n === 1 ? one : many);
  const bytes = (s) => utf8.encode(s).length;
  const online = () => ready && ws && ws.readyState === WebSocket.OPEN;
  const parseRoom = (s) => s.trim().replace(/^#/, '');

  function nickProblem(n) {
    if (!n) return 'A nickname cannot be empty';
    if (bytes(n) > 32) return 'A nickname is at most 32 bytes';
    if (/[\u0000-\u001f\u007f]/.test(n)) return 'A nickname cannot contain control characters';
    if (n.trim() !== n) return 'A nickname cannot start or end with a space';
    if (/^guest-/i.test(n)) return 'Nicknames starting with "guest-" are reserved';
    return '';
  }

  // Sends a command with a fresh id; `meta` is remembered for its reply or error.
  function request(obj, meta) {
    if (!online()) return null;
    const id = 'c' + (++nextId);
    pending.set(id, Object.assign({ type: obj.type, room: obj.room }, meta));
    ws.send(JSON.stringify(Object.assign(obj, { id })));
    return id;
  }
  function take(id) {
    if (id === undefined) return null;
    const req = pending.get(String(id));
    pending.delete(String(id));
    return req || null;
  }

  // ---- rooms -------------------------------------------------------------

  function makeRoom(name) {
    const log = el('div', 'log off');
    log.setAttribute('role', 'log');
    log.setAttribute('aria-live', 'polite');
    log.setAttribute('aria-label', 'Messages in #' + name);
    log.tabIndex = 0;
    const top = el('div', 'log-top');
    log.append(top);
    const li = el('li'), btn = el('button', 'room-btn'), badge = el('span', 'badge');
    btn.type = 'button';
    btn.append(el('span', 'room-name', '#' + name), badge);
    li.append(btn);
    roomList.append(li);
    logs.insertBefore(log, jump);
    const r = {
      name, log, top, li, btn, badge,
      joined: false, problem: '',  // problem: why the last join/resume failed
      maxSeq: 0,                   // highest seq seen: the `after` of the next resume
      seen: new Set(),             // dedupe guard: seqs rendered in this log
      complete: false,             // the top of the log is the beginning of the room
      busy: false, retryAt: 0,     // a history request is in flight; after an error, wait until retryAt
      replayTo: 0, replayUnread: false, // a join/resume replay runs up to seq replayTo; see joined()
      unread: 0, members: null, count: 0, whoBusy: false,
      stuck: true, lastTop: 0, newBelow: false,
      echoes: [],                  // our says not yet seen back as messages
    };
    btn.addEventListener('click', () => { switchTo(r); closeMembers(); });
    // Scroll rule (per room): "at the bottom" is a state, not a measurement at
    // append time: the log also shrinks without anyone scrolling (status wraps,
    // textarea grows, a phone keyboard opens), and a scroll event for our own
    // toBottom() can arrive after such a shrink. So only the reader scrolling *up*
    // unsticks; reaching the bottom sticks again; a resize while stuck re-pins.
    log.addEventListener('scroll', () => {
      const t = log.scrollTop;
      r.stuck = atBottom(log) || (r.stuck && t >= r.lastTop - 1);
      r.lastTop = t;
      if (r.stuck) r.newBelow = false;
      if (r === current) { jump.hidden = !r.newBelow; maybeFetch(r); }
    });
    rooms.set(name, r);
    renderRoom(r);
    return r;
  }

  function dropRoom(r) {
    r.log.remove(); r.li.remove(); rooms.delete(r.name);
    if (r === current) { current = null; switchTo(rooms.values().next().value || null); }
    saveRooms();
  }

  function saveRooms() {
    if (firstVisit && !rooms.size) return; // keep "never been here" until the lobby is joined
    store.set('rooms', JSON.stringify([...rooms.keys()]));
    store.set('current', current ? current.name : null);
  }

  function switchTo(r) {
    if (current && current !== r) current.log.classList.add('off');
    current = r;
    empty.hidden = !!r || firstVisit; // first visit: the lobby is on its way
    if (r) {
      r.log.classList.remove('off');
      r.unread = 0;
      jump.hidden = !r.newBelow;
      if (r.stuck) toBottom(r);
      if (r.joined) who(r);
    } else jump.hidden = true;
    if (!r && !firstVisit) { joinForm.classList.add('open'); addRoom.setAttribute('aria-expanded', 'true'); } // phones fold it away
    for (const x of rooms.values()) renderRoom(x);
    renderHeader(); renderMembers(); setReady(ready); saveRooms();
    if (r) maybeFetch(r);
  }

  function renderRoom(r) {
    const on = r === current;
    r.btn.setAttribute('aria-current', on ? 'true' : 'false');
    r.btn.classList.toggle('off', !r.joined);
    r.btn.title = r.problem || (r.joined ? '' : 'not joined yet');
    r.badge.textContent = r.unread > 99 ? '99+' : String(r.unread);
    r.badge.hidden = !r.unread;
    r.btn.setAttribute('aria-label', '#' + r.name + (r.unread ? ', ' + plural(r.unread, 'unread message', 'unread messages') : '')
      + (r.joined ? '' : r.problem ? ', not joined: ' + r.problem : ', not joined yet'));
  }

  function renderHeader() {
    const r = current;
    roomTitle.textContent = r ? '#' + r.name : 'no room';
    leaveBtn.hidden = !r;
    membersToggle.hidden = !r;
    if (r) membersToggle.textContent = plural(r.members ? r.members.length : r.count, 'member', 'members');
    let total = 0;
    for (const x of rooms.values()) total += x.unread;
    document.title = (total ? '(' + total + ') ' : '') + (r ? '#' + r.name + ' · ' : '') + 'actorchat';
  }

  function renderMembers() {
    const r = current;
    memberList.textContent = '';
    membersTitle.textContent = r ? 'In #' + r.name + ' (' + (r.members ? r.members.length : r.count) + ')' : 'Members';
    if (!r || !r.members) return;
    for (const m of r.members) {
      const li = el('li', m === nick ? 'me' : '', m);
      if (m === nick) li.append(el('span', 'you', ' (you)'));
      memberList.append(li);
    }
  }
  const refresh = (r) => { renderRoom(r); if (r === current) { renderHeader(); renderMembers(); } };

  // ---- log ---------------------------------------------------------------

  const atBottom = (log) => log.scrollHeight - log.scrollTop - log.clientHeight <= BOTTOM_SLACK;

  function toBottom(r) {
    r.log.scrollTop = r.log.scrollHeight;
    r.lastTop = r.log.scrollTop;
    r.stuck = true;
    r.newBelow = false;
    if (r === current) jump.hidden = true;
  }

  // Lines added while a frame is handled are batched per room (one layout per frame).
  function add(r, node) {
    if (batch) { if (!batch.has(r)) batch.set(r, []); batch.get(r).push(node); } else append(r, [node]);
  }

  // Follow new lines only if the reader was already at the bottom *before* they
  // were added; otherwise leave the view alone and offer the "new messages" button.
  function append(r, nodes) {
    r.log.append(...nodes);
    regroupAll(nodes);
    if (r.stuck && r.log.childElementCount > MAX_LINES) {
      // Drop the oldest 10% (the reader is at the bottom, so nothing visible moves);
      // the top is then no longer the beginning, and scrolling up refetches it.
      const extra = r.log.childElementCount - Math.floor(MAX_LINES * 0.9);
      for (let i = 0; i < extra; i++) {
        const n = r.top.nextElementSibling;
        if (n.dataset.seq) r.seen.delete(+n.dataset.seq);
        n.remove();
      }
      regroup(r.top.nextElementSibling);
      r.complete = false; renderTop(r);
    }
    if (r.stuck) toBottom(r);
    else { r.newBelow = true; if (r === current) jump.hidden = false; }
  }

  // Inserts nodes before `anchor` (and removes `drop`) without moving what the reader
  // sees: the anchor keeps its place on screen (overflow-anchor is off; we do it ourselves).
  function insertKeepingView(r, anchor, nodes, drop) {
    // `stuck` may lag behind a scroll whose event has not fired yet: check the position too.
    const follow = r.stuck && atBottom(r.log);
    const y = anchor ? anchor.getBoundingClientRect().top : 0;
    if (drop) drop.remove();
    const frag = document.createDocumentFragment();
    frag.append(...nodes);
    r.log.insertBefore(frag, anchor);
    regroupAll(nodes);
    if (drop && anchor) regroup(anchor);
    if (follow) toBottom(r);
    else if (anchor) { r.log.scrollTop += anchor.getBoundingClientRect().top - y; r.lastTop = r.log.scrollTop; }
  }

  function hhmm(ts) {
    const d = new Date(ts);
    return String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0');
  }

  // Links: http(s) URLs become <a> elements built from text nodes (never innerHTML);
  // trailing punctuation and an unbalanced ")" stay outside the link, as readers expect.
  const URL_RE = /\bhttps?:\/\/[^\s<>"]+/gi;
  function linkified(text) {
    const frag = document.createDocumentFragment();
    let at = 0;
    for (const match of text.matchAll(URL_RE)) {
      let u = match[0].replace(/[.,;:!?'*]+$/, '');
      while (u.endsWith(')') && (u.match(/\(/g) || []).length < (u.match(/\)/g) || []).length) u = u.slice(0, -1);
      let href = null;
      try { const x = new URL(u); if (x.protocol === 'http:' || x.protocol === 'https:') href = x.href; } catch { /* not a URL */ }
      if (!href) continue;
      frag.append(text.slice(at, match.index));
      const a = el('a', 'url', u);
      a.href = href; a.target = '_blank'; a.rel = 'noopener noreferrer';
      frag.append(a);
      at = match.index + u.length;
    }
    frag.append(text.slice(at));
    return frag;
  }

  function messageLine(m, own) {
    const line = el('div', 'msg' + (own ? ' own' : '') + (m.action ? ' action' : ''));
    const time = el('time', 'ts', hhmm(m.ts));
    const d = new Date(m.ts);
    if (!isNaN(d)) { time.dateTime = d.toISOString(); time.title = d.toLocaleString(); }
    const body = el('div', 'body');
    const text = el('span', 'text');
    text.append(linkified(m.text));
    // An action ("/me waves") reads as a sentence about the sender: "* ana waves".
    if (m.action) body.append(el('span', 'star', '* '), el('span', 'from', m.from), ' ', text);
    else body.append(el('span', 'from', m.from), ' ', text);
    line.append(time, body);
    line.dataset.from = m.from;
    line.dataset.ts = m.ts;
    if (m.seq) line.dataset.seq = m.seq;
    return line;
  }

  // Consecutive messages from one sender (within GROUP_GAP) form a group: the
  // sender's name and time show on the first line only (the name stays there for
  // screen readers). Called for lines whose predecessor may have changed.
  function regroup(line) {
    if (!line || !line.classList.contains('msg')) return;
    const prev = line.previousElementSibling;
    const cont = !line.classList.contains('action') && !!prev && prev.classList.contains('msg')
      && !prev.classList.contains('action') && prev.dataset.from === line.dataset.from
      && Math.abs(line.dataset.ts - prev.dataset.ts) < GROUP_GAP;
    line.classList.toggle('cont', cont);
  }
  function regroupAll(nodes) {
    for (const n of nodes) { regroup(n); regroup(n.nextElementSibling); }
  }
  // Removes a line and regroups the one that followed it.
  function removeLine(line) {
    const next = line.nextElementSibling;
    line.remove();
    regroup(next);
  }

  const sysLine = (text, kind) => el('div', 'sys' + (kind ? ' ' + kind : ''), text);
  const system = (r, text, kind) => { if (r) add(r, sysLine(text, kind)); else showHint(text, kind === 'warn'); };

  // Renders a message once: returns the line, or null if that seq is already shown.
  function accept(r, m) {
    if (!m || typeof m.seq !== 'number' || r.seen.has(m.seq)) return null;
    r.seen.add(m.seq);
    if (m.seq > r.maxSeq) r.maxSeq = m.seq;
    if (m.seq === 1) { r.complete = true; renderTop(r); }
    return messageLine(m, m.from === nick);
  }

  function renderTop(r) {
    r.top.textContent = r.complete ? 'This is the beginning of #' + r.name : r.busy ? 'Loading older messages…' : '';
    r.top.classList.toggle('start', r.complete);
  }

  // ---- scrollback --------------------------------------------------------

  // Called after scrolling, switching and inserting: loads what the reader is
  // looking at, one request per room at a time. A "missed" marker (hole) in view
  // is filled first; else, near the top, the page before the oldest shown seq.
  function maybeFetch(r) {
    // Not while a frame is being handled or a join/resume replay is still coming:
    // the replay is about to fill the log, and its seqs decide what "older" means.
    if (batch || r !== current || !online() || !r.joined || r.busy || r.replayTo || Date.now() < r.retryAt) return;
    const box = r.log.getBoundingClientRect();
    for (const hole of r.log.querySelectorAll('.hole[data-after]')) {
      const h = hole.getBoundingClientRect();
      if (h.bottom > box.top - 200 && h.top < box.bottom + 200) { fetchHole(r, hole); return; }
    }
    if (!r.complete && r.log.scrollTop <= TOP_SLACK) {
      const first = r.log.querySelector('[data-seq]');
      const q = { type: 'history', room: r.name, limit: PAGE };
      if (first) q.before = +first.dataset.seq;
      if (request(q, {})) { r.busy = true; renderTop(r); }
    }
  }

  // A hole sits between the last message before a disconnect (data-after) and the
  // first one the resume replayed; fill it from its lower end, one page at a time.
  function fetchHole(r, hole) {
    const before = nextSeq(hole) || r.maxSeq + 1;
    const limit = Math.min(before - +hole.dataset.after - 1, pageMax);
    if (limit <= 0) { hole.remove(); return; }
    if (request({ type: 'history', room: r.name, before, limit }, { hole, limit })) {
      r.busy = true;
      hole.textContent = HOLE_TEXT + ': loading…';
    }
  }

  function nextSeq(node) {
    for (let n = node.nextElementSibling; n; n = n.nextElementSibling) if (n.dataset.seq) return +n.dataset.seq;
    return 0;
  }

  function history(o, req) {
    const r = rooms.get(o.room);
    if (!r || !req) return;
    r.busy = false;
    const msgs = Array.isArray(o.messages) ? o.messages : [];
    if (req.hole) {
      const hole = req.hole;
      if (!hole.isConnected) return;
      const after = +hole.dataset.after;
      const got = msgs.filter((m) => m.seq > after);
      const filled = got.length > 0 && got[0].seq <= after + 1;
      const gone = !filled && (o.complete || got.length < req.limit); // retention removed the rest
      insertKeepingView(r, hole.nextElementSibling, got.map((m) => accept(r, m)).filter(Boolean), filled ? hole : null);
      if (gone) delete hole.dataset.after;
      if (!filled) hole.textContent = gone ? 'Some messages were missed and are no longer available' : HOLE_TEXT + '. Scroll up to load them';
    } else {
      const anchor = r.top.nextElementSibling;
      insertKeepingView(r, anchor, msgs.map((m) => accept(r, m)).filter(Boolean));
      if (o.complete || !msgs.length) r.complete = true;
      renderTop(r);
    }
    maybeFetch(r); // the page may not have filled the view
  }

  // ---- our own messages: echo until the server sends them back -------------

  function say(r, text, action) {
    const cmd = { type: 'say', room: r.name, text };
    if (action) cmd.action = true;
    const id = request(cmd, {});
    if (!id) return false;
    const line = messageLine({ from: nick, ts: Date.now(), text, action }, true);
    line.classList.add('pending');
    const state = el('span', 'state', 'sending…');
    line.querySelector('.body').append(state);
    r.echoes.push({ id, text, action: !!action, conn, seq: 0, line, state });
    add(r, line);
    return true;
  }

  // A message of ours arrived: its echo goes (matched by seq if `sent` came first, else by text).
  function settleEcho(r, m) {
    if (!myNicks.has(m.from) || !r.echoes.length) return;
    let i = r.echoes.findIndex((e) => e.seq === m.seq);
    if (i < 0) i = r.echoes.findIndex((e) => !e.seq && e.text === m.text && e.action === !!m.action);
    if (i >= 0) { removeLine(r.echoes[i].line); r.echoes.splice(i, 1); }
  }

  function failEcho(r, e, why) {
    r.echoes.splice(r.echoes.indexOf(e), 1);
    e.line.classList.replace('pending', 'failed');
    e.state.textContent = 'not sent: ' + why + ' ';
    const retry = el('button', 'retry', 'retry');
    retry.type = 'button';
    retry.addEventListener('click', () => {
      if (!r.joined || !online()) { showHint('Not connected: try again when the status says connected', true); return; }
      removeLine(e.line); say(r, e.text, e.action); input.focus();
    });
    e.state.append(retry);
  }

  // After a resume's replay, echoes from an earlier connection that never got back
  // either arrived (and are gone), or were acknowledged (seq known: the message is
  // in the room; a hole will show it), or never reached the server.
  function replayDone(r) {
    for (const e of [...r.echoes]) {
      if (e.conn === conn) continue;
      if (e.seq) { removeLine(e.line); r.echoes.splice(r.echoes.indexOf(e), 1); } else failEcho(r, e, 'the connection was lost');
    }
    for (const hole of r.log.querySelectorAll('.hole[data-after]')) if (nextSeq(hole) === +hole.dataset.after + 1) hole.remove();
  }

  // ---- status & input state ----------------------------------------------

  function setStatus(state, text) {
    statusEl.dataset.state = state;
    statusEl.textContent = text;
  }

  function setReady(on) {
    ready = on;
    send.disabled = !on;
    const label = current ? 'Message #' + current.name : 'Join a room first: /join name';
    input.placeholder = !on ? 'Not connected: sending is paused' : label;
    input.setAttribute('aria-label', label);
  }

  // Errors stay until the next action; a notice ("You left #x") fades back to the help text.
  let hintTimer = 0;
  function showHint(text, isError) {
    clearTimeout(hintTimer);
    if (text && !isError) hintTimer = setTimeout(() => showHint(''), 6000);
    hint.textContent = text || HINT;
    hint.classList.toggle('error', !!isError);
    input.setAttribute('aria-invalid', isError ? 'true' : 'false');
  }

  // Grow the textarea with its content, up to the max-height set in CSS.
  // Measuring at height:auto briefly makes the logs taller, which clamps their
  // scrollTop; put it back so the views (and `stuck`) are not disturbed. All
  // logs, not just the visible one: the hidden ones are laid out too.
  function autosize() {
    const tops = [...rooms.values()].map((r) => [r.log, r.log.scrollTop]);
    input.style.height = 'auto';
    input.style.height = input.scrollHeight + (input.offsetHeight - input.clientHeight) + 'px';
    for (const [log, top] of tops) log.scrollTop = top;
  }

  // The server limits the whole frame to max_message_size (larger closes the
  // connection with 1009), and a say frame is JSON around the text: check the frame.
  // What a line typed in the input sends: a message ({text, action}), or null for a command.
  // "//x" sends "/x" (a server that answers slash-commands takes "//x" and drops one slash
  // itself); "/me waves" sends the action "waves".
  function outgoing(line) {
    if (line.startsWith('//')) return { text: serverCommands.size ? line : line.slice(1), action: false };
    const me = /^\/me\s+(\S[\s\S]*)$/i.exec(line);
    if (me) return { text: me[1], action: true };
    return line.startsWith('/') ? null : { text: line, action: false };
  }
  function sayBytes(o) {
    const cmd = { type: 'say', room: current ? current.name : FIRST_ROOM, text: o.text };
    if (o.action) cmd.action = true;
    return bytes(JSON.stringify(Object.assign(cmd, { id: 'c' + (nextId + 1) })));
  }
  const tooBig = (line) => { const o = outgoing(line); return !!o && sayBytes(o) > maxBytes; };
  const sizeError = () => 'Too long for one message (the limit is ' + maxBytes + ' bytes of UTF-8, a few of them taken by the envelope)';

  // ---- connection ----------------------------------------------------------

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
    clearTimeout(nickTimer);
    setReady(false);
    const why = CLOSE_REASONS[ev.code] || ('code ' + ev.code);
    const reason = ev.reason && ev.reason !== why ? why + ': ' + ev.reason : why;
    pending.clear(); // replies to these will never come
    for (const r of rooms.values()) {
      if (wasReady && r.joined) system(r, 'Disconnected (' + reason + ')', 'warn');
      r.joined = false; r.busy = false; r.whoBusy = false; r.replayTo = 0;
      for (const e of r.echoes) e.state.textContent = 'waiting for the connection…';
      for (const h of r.log.querySelectorAll('.hole[data-after]')) h.textContent = HOLE_TEXT + '. Scroll up to load them';
      renderTop(r); renderRoom(r);
    }
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
    retryTimer = setTimeout(connect, delay);
  }

  // A frame holds one or more JSON objects separated by '\n'.
  function receive(data) {
    if (typeof data !== 'string') return;
    batch = new Map();
    try {
      for (const part of data.split('\n')) {
        if (!part.trim()) continue;
        let o;
        try { o = JSON.parse(part); } catch { console.warn('actorchat: bad JSON', part); continue; }
        const handler = o && typeof o.type === 'string' && Object.hasOwn(handlers, o.type) && handlers[o.type];
        if (handler) handler(o, take(o.id)); // unknown types are ignored
      }
    } finally {
      const b = batch;
      batch = null;
      for (const [r, nodes] of b) if (rooms.get(r.name) === r) append(r, nodes);
      if (current) maybeFetch(current);
    }
  }

  // Joining rooms again after (re)connecting: the remembered nick first (so others
  // see the right name join), then `resume` after the highest seq seen in each
  // room (no duplicates, no gap), or `join` where none was seen yet.
  function welcome(w) {
    nick = w.nick; myNicks.add(nick);
    serverCommands = new Map((Array.isArray(w.commands) ? w.commands : [])
      .filter((c) => c && typeof c.name === 'string' && !LOCAL_COMMANDS.has(c.name))
      .map((c) => [c.name, c]));
    if (w.limits) { maxBytes = w.limits.max_message_size || maxBytes; pageMax = w.limits.history_page_max || pageMax; }
    showNick();
    backoff = BACKOFF_MIN; // a real session started: next drop retries quickly again
    conn++;
    setStatus('connected', 'connected');
    setReady(true);
    nickTries = 0;
    applyNick();
    if (!store.get('nick') && !store.get('nick-asked') && nickForm.hidden) openNickForm(true);
    if (firstVisit) request({ type: 'join', room: FIRST_ROOM }, { switchTo: true }); // first visit
    for (const r of rooms.values()) rejoin(r, {});
    showHint(tooBig(input.value) ? sizeError() : '', tooBig(input.value));
  }

  function showNick() {
    nickBtn.textContent = nick;
    nickBtn.setAttribute('aria-label', nick + ', change nickname');
  }

  function applyNick() {
    const want = store.get('nick');
    if (want && want !== nick) request({ type: 'nick', nick: want }, { auto: true });
  }

  function rejoin(r, meta) {
    r.problem = '';
    if (r.maxSeq) request({ type: 'resume', room: r.name, after: r.maxSeq }, meta);
    else request({ type: 'join', room: r.name }, meta);
  }

  function joined(o, req) {
    const r = rooms.get(o.room) || makeRoom(o.room);
    firstVisit = false;
    r.joined = true; r.problem = ''; r.count = o.count || 0;
    // The replay up to last_seq is the room's recent past, not unread news.
    r.replayTo = o.last_seq || 0; r.replayUnread = false;
    if (!o.last_seq) { r.complete = true; renderTop(r); }
    if (req && req.form) { joinInput.value = ''; joinErr.textContent = ''; joinForm.classList.remove('open'); addRoom.setAttribute('aria-expanded', 'false'); }
    afterJoin(r, req);
  }

  function resumed(o, req) {
    const r = rooms.get(o.room);
    if (!r) return;
    r.joined = true; r.problem = '';
    if (o.last_seq < o.after) {
      // The server lost the room's history (e.g. an in-memory store restarted):
      // its seqs start over, so ours mean nothing now. Start the log afresh.
      while (r.top.nextSibling) r.top.nextSibling.remove();
      r.seen.clear(); r.maxSeq = 0; r.complete = !o.last_seq; r.newBelow = false;
      renderTop(r);
      system(r, 'The server no longer has the earlier history of #' + r.name, 'warn');
      for (const e of r.echoes) add(r, e.line); // still ours to account for
    } else if (o.complete === false) {
      // More was missed than the server replays: mark the gap; filled on scroll-up.
      const hole = sysLine(HOLE_TEXT + '. Scroll up to load them', 'warn hole');
      hole.dataset.after = o.after;
      add(r, hole);
    } else if (o.after) system(r, 'Reconnected');
    // Messages after `after` were sent while we were away: they count as unread.
    r.replayTo = o.last_seq > o.after ? o.last_seq : 0; r.replayUnread = true;
    afterJoin(r, req);
  }

  function afterJoin(r, req) {
    if (!r.replayTo) replayDone(r);
    saveRooms();
    if (req && req.switchTo) switchTo(r);
    else { refresh(r); if (r === current) who(r); }
  }

  function message(m) {
    const r = rooms.get(m.room);
    if (!r) return;
    if (r.seen.has(m.seq)) return; // dedupe guard: that seq is already shown
    settleEcho(r, m);
    const line = accept(r, m);
    if (!line) return;
    const replay = r.replayTo && m.seq <= r.replayTo;
    if (r !== current && !myNicks.has(m.from) && (!replay || r.replayUnread)) { r.unread++; renderRoom(r); renderHeader(); }
    add(r, line);
    if (r.replayTo && m.seq >= r.replayTo) { r.replayTo = 0; replayDone(r); }
  }

  function sent(o) {
    const r = rooms.get(o.room);
    const e = r && r.echoes.find((x) => x.id === String(o.id));
    if (!e) return;
    e.seq = o.seq;
    if (r.seen.has(o.seq)) { removeLine(e.line); r.echoes.splice(r.echoes.indexOf(e), 1); }
  }

  function presence(o) {
    const r = rooms.get(o.room);
    if (!r) return;
    if (typeof o.count === 'number') r.count = o.count;
    const self = o.nick === nick;
    const list = r.members;
    // Our own join is announced after the replay: if the replay did not end on
    // last_seq (retention removed messages), it ends here.
    if (self && o.event === 'join' && r.replayTo) { r.replayTo = 0; replayDone(r); }
    if (o.event === 'join') {
      if (list && !list.includes(o.nick)) { list.push(o.nick); list.sort(); }
      if (!self) system(r, o.nick + ' joined');
    } else if (o.event === 'leave') {
      if (list) r.members = list.filter((n) => n !== o.nick);
      system(r, o.nick + ' left');
    } else if (o.event === 'nick') {
      if (list) { r.members = list.map((n) => (n === o.old_nick ? o.nick : n)); r.members.sort(); }
      system(r, self ? 'You are now known as ' + o.nick : o.old_nick + ' is now known as ' + o.nick);
    }
    refresh(r);
  }

  function who(r) {
    if (r.whoBusy) return;
    if (request({ type: 'who', room: r.name }, {})) r.whoBusy = true;
  }

  function whoReply(o, req) {
    const r = rooms.get(o.room);
    if (!r || !Array.isArray(o.members)) return;
    r.whoBusy = false;
    r.members = o.members.slice();
    r.count = r.members.length;
    if (req && req.show) system(r, 'In #' + r.name + ': ' + r.members.join(', ') + ' (' + r.count + ')');
    refresh(r);
  }

  function nickReply(o, req) {
    nick = o.nick; myNicks.add(nick);
    showNick();
    if (req && !req.auto) store.set('nick', nick);
    if (req && req.form) closeNickForm();
    if (req && req.auto) { if (nickTries) showHint('You are ' + nick + ' again'); }
    else if (!current) showHint('You are now known as ' + nick);
    else showHint('');
    if (current) renderMembers();
  }

  function left(o) {
    const r = rooms.get(o.room);
    if (r) { dropRoom(r); showHint('You left #' + o.room); }
  }

  function roomsReply(o, req) {
    if (req && req.command) { // "/rooms", answered by the server's commands behaviour
      const list = (o.rooms || []).map((x) => '#' + x.room + ' (' + x.members + ')').join(', ');
      system(current, 'Rooms: ' + (list || 'none'), 'notice');
    }
    const dl = $('roomnames'); // suggestions for the join form
    dl.textContent = '';
    for (const x of o.rooms || []) if (!rooms.has(x.room)) { const opt = el('option'); opt.value = x.room; opt.label = plural(x.members, 'member', 'members'); dl.append(opt); }
  }

  // Errors go where the user asked for the thing: the form they used, the echo
  // of the message, the room's log, or the hint under the input.
  function error(o, req) {
    const text = o.message || o.code || 'error';
    // Not a reply but news about a room (its home node is down, in a cluster): a line in it.
    if (!req && o.room && rooms.has(o.room)) { system(rooms.get(o.room), text, 'warn'); return; }
    const r = req && req.room && rooms.get(req.room);
    const type = req ? req.type : '';
    if (type === 'say' && req.command) {
      showHint(text, true); // a slash-command the server's behaviours could not answer
    } else if (type === 'say') {
      const e = r && r.echoes.find((x) => x.id === String(o.id));
      if (e) failEcho(r, e, text);
      showHint('Not sent: ' + text, true);
    } else if (type === 'nick') {
      if (req.form) { nickErr.textContent = text; nickInput.setAttribute('aria-invalid', 'true'); }
      else if (req.auto) {
        if (o.code === 'bad_nick') store.set('nick', null);
        // Our own previous connection may still hold the nick until the server
        // notices it is gone: try again a few times before giving up.
        const again = o.code === 'nick_taken' && ++nickTries <= 3;
        if (again) nickTimer = setTimeout(() => { if (online()) applyNick(); }, 3000);
        showHint(text + ' — you are ' + nick + (again ? ' for now (retrying)' : '; pick another with /nick name'), true);
      } else showHint(text, true);
    } else if (type === 'join' || type === 'resume') {
      if (o.code === 'already_joined' && r) { r.joined = true; afterJoin(r, req); return; }
      if (firstVisit) { firstVisit = false; empty.hidden = !!current; showHint('Could not join #' + FIRST_ROOM + ': ' + text, true); }
      if (req.form) joinErr.textContent = text;
      else if (!r || req.input) showHint(text, true);
      if (r) {
        r.problem = text;
        if (!req.form && !req.input) system(r, 'Could not rejoin #' + r.name + ': ' + text + '. Type /join ' + r.name + ' to try again, or /leave', 'warn');
        if (o.code === 'bad_room') dropRoom(r); else refresh(r);
      }
    } else if (type === 'history') {
      if (r) { r.busy = false; r.retryAt = Date.now() + 5000; } // not again on every scroll event
      if (req.hole) req.hole.textContent = HOLE_TEXT + ' (could not load them: ' + text + ')';
      else if (r) { renderTop(r); r.top.textContent = 'Could not load older messages: ' + text; }
    } else if (type === 'who') {
      if (r) r.whoBusy = false;
      if (req.show) showHint(text, true);
    } else {
      showHint(text, true);
    }
  }

  // A behaviour's answer to a slash-command (for this user only): a line in the
  // room it was typed in, or the hint when that room is not open.
  function notice(o) {
    const r = (o.room && rooms.get(o.room)) || current;
    const text = (o.from ? o.from + ': ' : '') + String(o.text || '');
    if (r) system(r, text, 'notice'); else showHint(text);
  }

  const handlers = {
    welcome, joined, resumed, message, sent, presence, history,
    who: whoReply, nick: nickReply, left, rooms: roomsReply, error, notice,
  };

  // ---- commands typed in the input ----------------------------------------

  function joinByName(name, how) {
    if (!ROOM_RE.test(name)) return ROOM_RULE + '.';
    const r = rooms.get(name);
    if (r && r.joined) { switchTo(r); return ''; }
    if (!online()) return 'Not connected: try again when the status says connected';
    const meta = Object.assign({ switchTo: true }, how);
    if (r) rejoin(r, meta);
    else request({ type: 'join', room: name }, meta);
    return '';
  }

  function leaveRoom(r) {
    if (!r.joined) { dropRoom(r); return ''; } // never (re)joined: nothing to tell the server
    if (!online()) return 'Not connected: try again when the status says connected';
    request({ type: 'leave', room: r.name }, {});
    return '';
  }

  function setNick(n, how) {
    const p = nickProblem(n);
    if (p) return p + '.';
    if (!online()) return 'Not connected: try again when the status says connected';
    request({ type: 'nick', nick: n }, how);
    return '';
  }

  // The server's own commands, for /help and the unknown-command hint.
  function serverHelp() {
    return serverCommands.size ? ' · ' + [...serverCommands.values()].map((c) => c.usage || '/' + c.name).join(' · ') : '';
  }

  // Returns an error message for the hint, or '' when the command went out.
  function runCommand(line) {
    const [, cmd, rest] = /^\/(\S*)\s*([\s\S]*)$/.exec(line);
    const arg = rest.trim();
    switch (cmd.toLowerCase()) {
      case 'join': return arg ? joinByName(parseRoom(arg), { input: true }) : 'Usage: /join room-name';
      case 'leave': {
        const r = arg ? rooms.get(parseRoom(arg)) : current;
        return r ? leaveRoom(r) : arg ? 'You are not in #' + parseRoom(arg) : 'You are not in a room';
      }
      case 'nick': return arg ? setNick(arg, { input: true }) : 'Usage: /nick name';
      case 'who':
        if (!current) return 'You are not in a room';
        if (!online()) return 'Not connected: try again when the status says connected';
        current.whoBusy = false;
        request({ type: 'who', room: current.name }, { show: true });
        return '';
      case 'me': return 'Usage: /me waves (sends "* ' + nick + ' waves")';
      case 'help': showHint(HINT + ' · /me does something · Up recalls what you sent · start with // to send a line beginning with /' + serverHelp()); return null;
      default:
        // Commands the server's behaviours answer (listed in the welcome) go to the server.
        if (serverCommands.has(cmd.toLowerCase())) {
          if (!online()) return 'Not connected: try again when the status says connected';
          if (!current || !current.joined) return 'You are not in a room: /join a room first';
          request({ type: 'say', room: current.name, text: line }, { command: true });
          return '';
        }
        return 'Unknown command /' + cmd + '. Try /join room, /leave, /nick name, /who, /me' + serverHelp() + ' (or // to send a line starting with /)';
    }
  }

  function submit() {
    const text = input.value;
    if (!text.trim()) return;
    const out = outgoing(text);
    if (!out) {
      const problem = runCommand(text.trim());
      if (problem) { showHint(problem, true); return; }
      if (problem === '') showHint('');
    } else {
      if (!online()) { showHint('Not connected: the message was not sent', true); return; }
      if (!current) { showHint('You are not in a room: /join a room first', true); return; }
      if (!current.joined) { showHint('Not in #' + current.name + ' (yet): the message was not sent', true); return; }
      if (tooBig(text)) { showHint(sizeError(), true); return; }
      say(current, out.text, out.action);
      showHint('');
    }
    remember(text);
    input.value = '';
    autosize();
    input.focus();
  }

  // ---- recall: Up brings back what was sent (the input only; nothing sent is edited) --

  const RECALL_MAX = 50;
  const sentLines = [];
  let recallAt = -1; // index into sentLines of the line shown, -1 = not recalling
  function remember(line) {
    if (sentLines[sentLines.length - 1] !== line) sentLines.push(line);
    if (sentLines.length > RECALL_MAX) sentLines.shift();
    recallAt = -1;
  }
  // Up on the first line of an empty (or recalled, unchanged) input shows the previous
  // line sent; Down on its last line the next one, and past the newest an empty input.
  function recall(e) {
    const v = input.value, recalling = recallAt >= 0 && v === sentLines[recallAt];
    if (e.shiftKey || e.altKey || e.ctrlKey || e.metaKey || (v && !recalling)) return false;
    if (e.key === 'ArrowUp') {
      if (v.lastIndexOf('\n', input.selectionStart - 1) >= 0 || !sentLines.length) return false;
      recallAt = recalling ? Math.max(0, recallAt - 1) : sentLines.length - 1;
    } else {
      if (!recalling || v.indexOf('\n', input.selectionEnd) >= 0) return false;
      recallAt = recallAt + 1 < sentLines.length ? recallAt + 1 : -1;
    }
    input.value = recallAt >= 0 ? sentLines[recallAt] : '';
    input.setSelectionRange(input.value.length, input.value.length);
    autosize();
    return true;
  }

  // ---- forms & buttons -------------------------------------------------------

  // First visit: the form opens by itself, once, until a nickname is chosen or the
  // visitor keeps the guest name (remembered either way).
  function openNickForm(first) {
    nickLabel.textContent = first === true ? 'Choose a nickname' : 'Nickname';
    nickCancel.textContent = first === true ? 'Keep ' + nick : 'Cancel';
    nickShow.hidden = true; nickForm.hidden = false;
    nickInput.value = nick || ''; nickErr.textContent = ''; nickInput.setAttribute('aria-invalid', 'false');
    nickInput.focus(); nickInput.select();
  }
  function closeNickForm() {
    store.set('nick-asked', '1');
    const had = nickForm.contains(document.activeElement);
    nickForm.hidden = true; nickShow.hidden = false;
    if (had) nickBtn.focus();
  }
  const closeMembers = () => { document.body.classList.remove('members-open'); membersToggle.setAttribute('aria-expanded', 'false'); };

  nickBtn.addEventListener('click', openNickForm);
  nickCancel.addEventListener('click', closeNickForm);
  nickForm.addEventListener('keydown', (e) => { if (e.key === 'Escape') closeNickForm(); });
  nickForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const n = nickInput.value.trim();
    if (n === nick) { closeNickForm(); return; }
    const p = setNick(n, { form: true });
    nickErr.textContent = p; nickInput.setAttribute('aria-invalid', p ? 'true' : 'false');
  });

  joinForm.addEventListener('submit', (e) => {
    e.preventDefault();
    joinErr.textContent = joinByName(parseRoom(joinInput.value), { form: true });
    if (!joinErr.textContent && rooms.has(parseRoom(joinInput.value))) joinInput.value = '';
  });
  joinInput.addEventListener('input', () => { joinErr.textContent = ''; });
  // Suggest live rooms (at most every 5 s).
  let roomsAsked = 0;
  joinInput.addEventListener('focus', () => { if (Date.now() - roomsAsked > 5000 && request({ type: 'rooms' }, {})) roomsAsked = Date.now(); });
  addRoom.addEventListener('click', () => {
    const open = joinForm.classList.toggle('open');
    addRoom.setAttribute('aria-expanded', String(open));
    if (open) joinInput.focus();
  });

  leaveBtn.addEventListener('click', () => { if (current) { const p = leaveRoom(current); if (p) showHint(p, true); } });
  membersToggle.addEventListener('click', () => {
    const open = document.body.classList.toggle('members-open');
    membersToggle.setAttribute('aria-expanded', String(open));
  });
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape') closeMembers(); });

  jump.addEventListener('click', () => { if (current) toBottom(current); input.focus(); });
  new ResizeObserver(() => { for (const r of rooms.values()) if (r.stuck) toBottom(r); }).observe(logs);

  form.addEventListener('submit', (e) => { e.preventDefault(); submit(); });
  input.addEventListener('keydown', (e) => {
    // Enter sends, Shift+Enter is a newline; never interrupt IME composition.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
    else if ((e.key === 'ArrowUp' || e.key === 'ArrowDown') && !e.isComposing && recall(e)) e.preventDefault();
  });
  input.addEventListener('input', () => {
    autosize();
    // Only touch the (live) hint when the state flips, not on every keystroke.
    const big = tooBig(input.value);
    if (big !== hint.classList.contains('error')) showHint(big ? sizeError() : '', big);
  });
  // Back online: don't wait out the backoff.
  window.addEventListener('online', () => { if (!ws) connect(); });

  // ---- start: the remembered rooms are listed at once and rejoined on welcome --

  let saved = [];
  try { saved = JSON.parse(store.get('rooms') || '[]'); } catch { /* ignore */ }
  for (const name of Array.isArray(saved) ? saved : []) if (typeof name === 'string' && ROOM_RE.test(name) && !rooms.has(name)) makeRoom(name);
  switchTo(rooms.get(store.get('current')) || rooms.values().next().value || null);
  showHint('');
  setReady(false);
  connect();
  input.focus();
})();
