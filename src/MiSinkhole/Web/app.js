'use strict';
// MiSinkhole's page: the same /api as every other client, with the session cookie and,
// for changes, the session's CSRF token. Everything from the network is set as text, never as HTML.
let csrf = null;
let live = null; // the EventSource of the query log's live tail, while on
const $ = (selector) => document.querySelector(selector);

async function api(method, path, body) {
  const headers = {};
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf ?? '';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401 && path !== '/api/session') { show('login'); throw new Error('logged out'); }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new Error(data?.detail ?? `${response.status} ${response.statusText}`);
  return data;
}

function status(text) { $('#status').textContent = text; }

function cell(row, value) { const td = row.insertCell(); td.textContent = value ?? ''; return td; }

function fill(table, items, columns) {
  const body = $(table).tBodies[0];
  body.replaceChildren();
  for (const item of items) {
    const row = body.insertRow();
    for (const column of columns) {
      const value = column(item, row);
      if (value !== undefined) cell(row, value);
    }
  }
  if (items.length === 0) cell(body.insertRow(), 'nothing yet').colSpan = columns.length;
}

const when = (iso) => iso ? new Date(iso).toLocaleString() : '';

function show(page) {
  for (const section of document.querySelectorAll('main > section')) section.hidden = section.id !== page;
  $('#nav').hidden = page === 'login';
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.dataset.page === page) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
}

function since(period) {
  const start = new Date();
  if (period === '7d') start.setDate(start.getDate() - 7); else start.setHours(0, 0, 0, 0);
  return start.toISOString();
}

const pages = {
  async overview() {
    const stats = await api('GET', `/api/stats?since=${encodeURIComponent(since($('#since').value))}`);
    const totals = $('#totals');
    totals.replaceChildren();
    for (const [label, value] of [['Queries', stats.total], ...Object.entries(stats.byOutcome)]) {
      const card = document.createElement('div');
      card.className = 'card';
      const number = document.createElement('b');
      number.textContent = value.toLocaleString();
      card.append(number, label);
      totals.append(card);
    }
    const logged = Object.entries(stats.topLogged).map(([device, names]) => ({ device, names, count: names.reduce((n, x) => n + x.count, 0) }));
    fill('#logged-devices', logged, [(d) => d.device, (d) => d.count, (d) => d.names.slice(0, 3).map((n) => n.name).join(', ')]);
    const total = Math.max(stats.total, 1);
    fill('#by-device', Object.entries(stats.byDevice), [([d]) => d, ([, n]) => n, ([, n]) => `${Math.round(100 * n / total)} %`]);
    fill('#by-category', Object.entries(stats.byCategory), [([c]) => c, ([, n]) => n]);
  },

  async devices() {
    const devices = await api('GET', '/api/devices');
    fill('#configured', devices.configured, [
      (d) => d.name,
      (d) => d.policyInForce,
      (d) => d.why,
      (d, row) => { row.insertCell().append(...pauseButtons(d.name, devices.paused[d.name])); },
    ]);
    fill('#clients', devices.clients, [(c) => c.key, (c) => c.device ?? 'unknown', (c) => c.queries, (c) => c.xiaomiSince ? 'yes' : '', (c) => when(c.lastSeen)]);
  },

  async log() {
    const form = new FormData($('#log-filter'));
    const query = new URLSearchParams({ limit: '100' });
    for (const key of ['device', 'action', 'name']) if (form.get(key)) query.set(key, form.get(key));
    if (form.get('since')) query.set('since', new Date(form.get('since')).toISOString());
    const page = await api('GET', `/api/querylog?${query}`);
    fill('#log-rows', page.items, [(r) => when(r.time), (r) => r.device, (r) => r.name, (r) => r.type, (r) => r.action ?? r.outcome, (r) => r.list]);
  },

  async review() {
    const report = await api('GET', '/api/unclassified');
    fill('#unclassified', report.names, [(n) => n.name, (n) => n.suggested, (n) => (n.clients ?? []).map((c) => c.device ?? c.client).join(', '), (n) => n.count]);
  },
};

function logRow(r) {
  const row = document.createElement('tr');
  for (const value of [when(r.time), r.device, r.name, r.type, r.action ?? r.outcome, r.list]) cell(row, value);
  return row;
}

function toggleLive() {
  const button = $('#live');
  if (live) { live.close(); live = null; button.setAttribute('aria-pressed', 'false'); status('Live tail off'); return; }
  const form = new FormData($('#log-filter'));
  const query = new URLSearchParams();
  for (const key of ['device', 'action']) if (form.get(key)) query.set(key, form.get(key));
  live = new EventSource(`/api/querylog/live?${query}`);
  live.onmessage = (event) => {
    const body = $('#log-rows').tBodies[0];
    if (body.rows.length === 1 && body.rows[0].cells.length === 1) body.replaceChildren();
    body.prepend(logRow(JSON.parse(event.data)));
    while (body.rows.length > 500) body.deleteRow(-1);
  };
  live.onopen = () => status('Live: new queries appear at the top');
  live.onerror = () => status('Live tail interrupted; retrying');
  button.setAttribute('aria-pressed', 'true');
}

function pauseButtons(device, until) {
  const buttons = [];
  const add = (label, minutes) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = label;
    button.setAttribute('aria-label', `${label} for ${device}`);
    button.addEventListener('click', async () => {
      try {
        await api('POST', `/api/devices/${encodeURIComponent(device)}/pause?minutes=${minutes}`);
        status(minutes === 0 ? `${device}: blocking resumed` : `${device}: blocking paused for ${minutes} min`);
        await pages.devices();
      } catch (e) { status(e.message); }
    });
    buttons.push(button);
  };
  if (until) { add('Resume', 0); } else { add('15 min', 15); add('1 h', 60); }
  return buttons;
}

async function open(page) {
  if (!pages[page]) page = 'overview';
  show(page);
  try { await pages[page](); } catch (e) { if (e.message !== 'logged out') status(e.message); }
}

async function start() {
  $('#login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const secret = $('#secret').value;
    try {
      const session = await api('POST', '/api/session', { token: secret, password: secret });
      csrf = session.csrf;
      $('#secret').value = '';
      status('');
      await open(location.hash.slice(1));
    } catch (e) { status(e.message); }
  });
  $('#logout').addEventListener('click', async () => {
    if (live) toggleLive();
    try { await api('DELETE', '/api/session'); } finally { csrf = null; show('login'); status('Logged out'); }
  });
  $('#since').addEventListener('change', () => pages.overview().catch((e) => status(e.message)));
  $('#live').addEventListener('click', toggleLive);
  $('#log-filter').addEventListener('submit', (event) => { event.preventDefault(); pages.log().catch((e) => status(e.message)); });
  $('#explain-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const query = new URLSearchParams({ name: form.get('name') });
    if (form.get('device')) query.set('device', form.get('device'));
    try {
      const e = await api('GET', `/api/explain?${query}`);
      $('#explained').textContent = `${e.name}: ${e.action} for ${e.device ?? 'unknown'} (policy ${e.policy}${e.decidingList ? `, list ${e.decidingList}` : ''})\n${e.why ?? ''}`;
    } catch (err) { status(err.message); }
  });
  window.addEventListener('hashchange', () => { if (csrf) open(location.hash.slice(1)); });
  try {
    csrf = (await api('GET', '/api/session')).csrf;
    await open(location.hash.slice(1));
  } catch { show('login'); }
}

start();
