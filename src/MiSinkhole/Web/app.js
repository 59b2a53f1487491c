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
  if (!response.ok) throw new Error([data?.detail ?? `${response.status} ${response.statusText}`, ...(data?.errors ?? [])].join('\n'));
  return data;
}

function status(text) { $('#status').textContent = text; }

function cell(row, value) { const td = row.insertCell(); td.textContent = value ?? ''; return td; }

function fill(table, items, columns) {
  const body = $(table).tBodies[0];
  const labels = [...$(table).tHead.rows[0].cells].map((th) => th.textContent);
  body.replaceChildren();
  for (const item of items) {
    const row = body.insertRow();
    for (const column of columns) {
      const value = column(item, row);
      if (value !== undefined) cell(row, value);
    }
    [...row.cells].forEach((td, i) => { td.dataset.label = labels[i] ?? ''; }); // a phone shows each cell under its label
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

const svg = (name, attributes) => {
  const element = document.createElementNS('http://www.w3.org/2000/svg', name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  return element;
};

// Bars per step: blocked, would have blocked and the rest of what was logged, stacked; bypass
// attempts (some of the blocked or logged) as a narrow bar over them.
function chart(timeline) {
  const box = $('#timeline');
  box.replaceChildren();
  const steps = timeline.buckets;
  const top = Math.max(1, ...steps.map((b) => b.queries));
  const width = 600 / steps.length;
  const scale = (value) => 150 * value / top;
  steps.forEach((b, i) => {
    let y = 160;
    for (const [value, kind] of [[b.blocked, 'blocked'], [b.logged, 'logged'], [b.queries - b.blocked - b.logged, 'other']]) {
      const height = scale(Math.max(0, value));
      y -= height;
      if (height > 0) box.append(svg('rect', { x: i * width + width * 0.1, y, width: width * 0.8, height, class: kind }));
    }
    if (b.bypass > 0) box.append(svg('rect', { x: i * width + width * 0.35, y: 160 - scale(b.bypass), width: width * 0.3, height: scale(b.bypass), class: 'bypass' }));
  });
  const sum = (key) => steps.reduce((n, b) => n + b[key], 0);
  const step = seconds(timeline.step) / 3600;
  $('#chart-caption').textContent = `Last ${Math.round(steps.length * step)} h in steps of ${step} h: ${sum('blocked')} blocked, ${sum('logged')} would have been blocked, ${sum('bypass')} bypass attempts`;
}

// "06:00:00" or "1.00:00:00" (a .NET TimeSpan) in seconds.
function seconds(span) {
  const [days, rest] = span.includes('.') ? span.split('.') : ['0', span];
  const [h, m, s] = rest.split(':').map(Number);
  return Number(days) * 86400 + h * 3600 + m * 60 + s;
}

function card(label, value) {
  const box = document.createElement('div');
  box.className = 'card';
  const number = document.createElement('b');
  number.textContent = value.toLocaleString();
  box.append(number, label);
  return box;
}

let policies = [];

function policySelect(device) {
  const select = document.createElement('select');
  select.setAttribute('aria-label', `Policy for ${device.name}`);
  for (const name of policies) select.add(new Option(name, name, false, name === device.policy));
  select.addEventListener('change', async () => {
    try {
      const result = await api('PUT', `/api/devices/${encodeURIComponent(device.name)}/policy`, { policy: select.value });
      status(result.message);
    } catch (e) { status(e.message); }
    await pages.devices();
  });
  return select;
}

function nameForm(client) {
  const form = document.createElement('form');
  form.className = 'inline';
  const input = document.createElement('input');
  input.required = true;
  input.autocomplete = 'off';
  input.value = client.hostName ?? '';
  input.setAttribute('aria-label', `Name for ${client.key}`);
  const button = document.createElement('button');
  button.textContent = 'Add device';
  button.setAttribute('aria-label', `Add device ${client.key}`);
  form.append(input, button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('POST', '/api/devices', { name: input.value.trim(), match: [client.mac ?? client.address ?? client.key] });
      status(`${input.value.trim()}: added as a device`);
      await pages.devices();
    } catch (e) { status(e.message); }
  });
  return form;
}

function fileButtons(name) {
  const order = ['telemetry', 'ads', 'crash', 'essential', 'ignore'];
  if (order.includes(name.suggested)) {
    order.splice(order.indexOf(name.suggested), 1);
    order.unshift(name.suggested); // the suggestion first
  }
  return order.map((decision) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = decision;
    if (decision === name.suggested) button.className = 'suggested';
    button.setAttribute('aria-label', `File ${name.name} as ${decision}`);
    button.addEventListener('click', async () => {
      try {
        const outcome = await api('POST', '/api/review', { name: name.name, decision });
        status(outcome.message);
        await pages.review();
      } catch (e) { status(e.message); }
    });
    return button;
  });
}

const pages = {
  async overview() {
    const from = since($('#since').value);
    const [stats, timeline, health] = await Promise.all([
      api('GET', `/api/stats?since=${encodeURIComponent(from)}`),
      api('GET', `/api/stats/timeline?since=${encodeURIComponent(from)}`),
      api('GET', '/api/status'),
    ]);
    const total = (key) => stats.perDevice.reduce((n, d) => n + d[key], 0);
    $('#totals').replaceChildren(card('Logged queries', stats.total), card('Blocked', total('blocked')), card('Would have blocked', total('logged')), card('Bypass attempts', total('bypass')));
    chart(timeline);
    const logged = Object.entries(stats.topLogged).map(([device, names]) => ({ device, names, count: names.reduce((n, x) => n + x.count, 0) }));
    fill('#logged-devices', logged, [(d) => d.device, (d) => d.count, (d) => d.names.slice(0, 3).map((n) => n.name).join(', ')]);
    fill('#by-device', stats.perDevice, [(d) => d.device, (d) => d.queries, (d) => d.blocked, (d) => d.logged, (d) => d.bypass]);
    fill('#by-category', stats.perDevice.flatMap((d) => d.categories.map((c) => ({ device: d.device, ...c }))), [(c) => c.device, (c) => c.category, (c) => c.blocked, (c) => c.logged]);
    const down = health.upstreams.filter((u) => !u.healthy);
    const failing = health.lists.filter((l) => l.failures > 0);
    $('#glance').textContent = `Upstreams: ${down.length === 0 ? `all ${health.upstreams.length} up` : `${down.length} of ${health.upstreams.length} down (${down.map((u) => u.server).join(', ')})`}. `
      + `Lists: ${health.lists.filter((l) => l.enabled).length} on, ${health.lists.reduce((n, l) => n + l.rules, 0).toLocaleString()} rules${failing.length ? `, downloads failing: ${failing.map((l) => l.name).join(', ')}` : ''}. Rules compiled ${when(health.compiledAt)}.`;
    fill('#upstreams', health.upstreams, [(u) => `${u.server}${u.group === 'default' ? '' : ` (${u.group})`}`, (u) => u.protocol, (u) => u.healthy ? 'up' : 'down', (u) => `${Math.round(u.scoreMs)} ms`]);
    fill('#lists', health.lists.filter((l) => l.enabled), [(l) => l.name, (l) => l.rules, (l) => l.downloads ? when(l.lastRefresh) || 'not yet' : 'local file', (l) => l.failures]);
  },

  async devices() {
    const [devices, health] = await Promise.all([api('GET', '/api/devices'), api('GET', '/api/status')]);
    policies = health.policies;
    $('#config-file').textContent = health.configFile
      ? `Changes are written to ${health.configFile} and applied at once.`
      : 'The daemon runs on its embedded default config: start it with --config FILE to change policies and devices here.';
    fill('#configured', devices.configured, [
      (d) => d.name,
      (d, row) => { row.insertCell().append(policySelect(d)); },
      (d) => `${d.policyInForce}: ${d.why}`,
      (d, row) => { row.insertCell().append(...pauseControls(d.name, devices.paused[d.name])); },
    ]);
    fill('#clients', devices.clients, [(c) => c.key, (c) => c.device ?? 'unknown', (c) => c.queries, (c) => c.xiaomiSince ? `yes: ${Object.entries(c.xiaomiEvidence ?? {}).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([name, n]) => `${name} ×${n}`).join(', ')}` : '', (c) => when(c.lastSeen),
      (c, row) => { const td = row.insertCell(); if (!c.device || c.device === 'unknown') td.append(nameForm(c)); }]);
  },

  async log() {
    const form = new FormData($('#log-filter'));
    const query = new URLSearchParams({ limit: '100' });
    for (const key of ['device', 'action', 'name']) if (form.get(key)) query.set(key, form.get(key));
    if (form.get('since')) query.set('since', new Date(form.get('since')).toISOString());
    const page = await api('GET', `/api/querylog?${query}`);
    fill('#log-rows', page.items, [(r) => when(r.time), (r) => r.device, (r) => r.name, (r) => r.type, (r) => r.action ?? r.outcome, (r) => r.list, (r) => r.instance]);
  },

  async review() {
    const report = await api('GET', '/api/unclassified');
    fill('#unclassified', report.names, [(n) => n.name, (n) => n.suggested, (n) => (n.clients ?? []).map((c) => c.device ?? c.client).join(', '), (n) => n.count,
      (n, row) => { row.insertCell().append(...fileButtons(n)); }]);
  },
};

function logRow(r) {
  const row = document.createElement('tr');
  for (const value of [when(r.time), r.device, r.name, r.type, r.action ?? r.outcome, r.list, r.instance]) cell(row, value);
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

function pauseControls(device, until) {
  const controls = [];
  const pause = async (query, done) => {
    try {
      await api('POST', `/api/devices/${encodeURIComponent(device)}/pause?${query}`);
      status(done);
      await pages.devices();
    } catch (e) { status(e.message); }
  };
  const add = (label, minutes) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = label;
    button.setAttribute('aria-label', `${label} for ${device}`);
    button.addEventListener('click', () => pause(`minutes=${minutes}`, minutes === 0 ? `${device}: blocking resumed` : `${device}: blocking paused for ${minutes} min`));
    controls.push(button);
  };
  if (until) {
    const note = document.createElement('span');
    note.textContent = `paused until ${when(until)} `;
    controls.push(note);
    add('Resume', 0);
    return controls;
  }
  add('15 min', 15);
  add('1 h', 60);
  const form = document.createElement('form');
  form.className = 'inline';
  const time = document.createElement('input');
  time.type = 'datetime-local';
  time.required = true;
  time.setAttribute('aria-label', `Pause ${device} until`);
  const button = document.createElement('button');
  button.textContent = 'Until';
  button.setAttribute('aria-label', `Pause ${device} until that time`);
  form.append(time, button);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const end = new Date(time.value);
    pause(`until=${encodeURIComponent(end.toISOString())}`, `${device}: blocking paused until ${end.toLocaleString()}`);
  });
  controls.push(form);
  return controls;
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
