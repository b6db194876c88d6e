// fleetcert's HTML report page (embedded in every page by reports/encoding/html_page.cpp).
//
// Reads the report's data from <script type="application/json" id="fleetcert-data"> and draws the
// page with DOM calls only: every text from a certificate, a device or an inventory goes in through
// textContent / createTextNode, never as markup. Chart.js (Debian's libjs-chart.js) draws the charts.
//
// When done it fills <div id="fleetcert-status" hidden> with data-* attributes that tests and the
// benchmark read from the DOM (chromium --dump-dom): data-ready, data-errors, data-charts
// ("name:drawn" per canvas), data-devices, data-rows, data-injected, data-ready-ms.
// The URL fragment may preset the table: #search=TEXT&vendor=V&site=S&finding=F&severity=S, and
// open=shown expands every row shown (open=3,7: those devices).
'use strict';

(function () {
  const status = { errors: [], charts: {} };
  window.addEventListener('error', function (event) {
    status.errors.push(String(event.message || 'error'));
    writeStatus();
  });
  // The page's Content-Security-Policy forbids every fetch and every script but the page's own.
  document.addEventListener('securitypolicyviolation', function (event) {
    status.errors.push('blocked by the page policy: ' + event.violatedDirective + ' ' + event.blockedURI);
    writeStatus();
  });

  const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];
  const SEVERITY_COLOURS = { critical: '#7f1d1d', high: '#dc2626', medium: '#f59e0b', low: '#3b82f6', info: '#9ca3af' };
  // Series colours; red is kept for what the audit rejects.
  const PALETTE = ['#2563eb', '#16a34a', '#f59e0b', '#7c3aed', '#0891b2', '#65a30d', '#4b5563', '#0d9488',
    '#a16207', '#9333ea', '#0369a1', '#84cc16'];

  // An element with attributes and children (strings become text nodes).
  function el(tag, attributes, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (key === 'class') {
        node.className = value;
      } else {
        node.setAttribute(key, value);
      }
    }
    for (const child of [].concat(children === undefined ? [] : children)) {
      if (child === null || child === undefined) {
        continue;
      }
      node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function count(map, key, by) {
    map.set(key, (map.get(key) || 0) + (by === undefined ? 1 : by));
  }

  function sortedKeys(map) {
    return Array.from(map.keys()).sort(function (a, b) { return map.get(b) - map.get(a) || (a < b ? -1 : 1); });
  }

  const data = JSON.parse(document.getElementById('fleetcert-data').textContent);
  const texts = data.texts || [];
  // Devices, ports and chain certificates come packed: arrays in the order of data.layout, with
  // the fields marked `text` as indexes into data.texts (reports/sinks/html_report.cpp).
  function unpack(row, layout) {
    const object = {};
    const fields = data.layout[layout];
    for (let i = 0; i < fields.length && i < row.length; ++i) {
      let value = row[i];
      if (value === null || value === undefined) {
        continue;
      }
      if (fields[i].text) {
        value = texts[value];
      } else if (fields[i].of) {
        value = value.map(function (item) { return unpack(item, fields[i].of); });
      }
      object[fields[i].name] = value;
    }
    return object;
  }
  const devices = (data.devices || []).map(function (row) {
    const device = unpack(row, 'device');
    device.ports = device.ports || [];
    device.findings = device.findings || [];
    return device;
  });
  const app = document.getElementById('app');
  const DAY = 86400000;
  const now = data.now ? Date.parse(data.now) : null;
  const warningDays = typeof data.expiry_warning_days === 'number' ? data.expiry_warning_days : null;

  function vendorOf(device) { return device.vendor || '(unknown vendor)'; }
  function siteOf(device) { return device.site || '(no site)'; }
  function nameOf(device) { return device.ip || device.host || ''; }

  function section(title, id, children) {
    return el('section', { id: id }, [el('h2', {}, title)].concat(children));
  }

  // A chart on a canvas, remembered for the drawn-check.
  function chart(id, config, note) {
    const canvas = el('canvas', { id: 'chart-' + id, role: 'img', 'aria-label': id });
    const box = el('div', { class: 'chart' }, [canvas]);
    if (config.options && config.options.indexAxis === 'y') { // a bar per label: room for each
      box.style.height = Math.max(240, config.data.labels.length * 28 + 90) + 'px';
    }
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options || {});
    status.charts[id] = { canvas: canvas, config: config };
    return note ? [box, el('p', { class: 'note' }, note)] : [box];
  }

  function drawCharts() {
    for (const entry of Object.values(status.charts)) {
      entry.chart = new Chart(entry.canvas.getContext('2d'), entry.config);
    }
  }

  // True when the canvas has pixels that are not transparent.
  function drawn(canvas) {
    const context = canvas.getContext('2d');
    if (canvas.width === 0 || canvas.height === 0) {
      return false;
    }
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) {
      if (pixels[i] !== 0) {
        return true;
      }
    }
    return false;
  }

  // ---- headline -------------------------------------------------------------------------------
  function headline() {
    const scan = data.scan || {};
    const summary = data.summary || {};
    const answering = devices.filter(function (d) { return d.answered; }).length;
    let withFindings = 0;
    const severities = new Map();
    for (const device of devices) {
      if (device.worst) {
        count(severities, device.worst);
        ++withFindings;
      }
    }
    const tiles = [
      ['devices', devices.length],
      ['endpoints', summary.endpoints !== undefined ? summary.endpoints : scan.endpoints_done],
      ['answering', answering],
      ['with a certificate', summary.ok],
      ['with findings', withFindings]
    ];
    for (const severity of SEVERITIES) {
      tiles.push([severity, severities.get(severity) || 0]);
    }
    const facts = [];
    const fact = function (name, value) {
      if (value !== undefined && value !== null && value !== '') {
        facts.push(el('dt', {}, name), el('dd', {}, String(value)));
      }
    };
    fact('scan started', scan.started_at);
    fact('duration', scan.duration_s !== undefined ? scan.duration_s + ' s' : undefined);
    fact('assessed as of', data.now ? data.now + ' (' + data.now_source + ')' : 'not known (the input did not carry it)');
    fact('expiry warning', warningDays !== null ? warningDays + ' days' : 'not known');
    fact('arguments', scan.arguments ? scan.arguments.join(' ') : undefined);
    fact('fleetcert', scan.version);
    if (scan.rebuilt_from) {
      fact('rebuilt from', scan.rebuilt_from.path + ' (' + scan.rebuilt_from.format + ') at ' + scan.rebuilt_from.rebuilt_at);
    }
    if (scan.interrupted) {
      fact('interrupted', 'yes: not every planned endpoint was probed');
    }
    return section('Fleet certificate audit', 'headline', [
      el('div', { class: 'tiles' }, tiles.map(function (tile) {
        return el('div', { class: 'tile ' + (SEVERITY_COLOURS[tile[0]] ? 'sev-' + tile[0] : '') },
          [el('div', { class: 'value', 'data-tile': tile[0] }, String(tile[1] === undefined ? '-' : tile[1])), el('div', { class: 'label' }, tile[0])]);
      })),
      el('dl', { class: 'facts' }, facts)
    ]);
  }

  // ---- charts over the ports that presented a certificate -------------------------------------
  function certifiedPorts() {
    const ports = [];
    for (const device of devices) {
      for (const port of device.ports) {
        if (port.status === 'ok') {
          ports.push({ device: device, port: port });
        }
      }
    }
    return ports;
  }

  function generationMix(ports) {
    const vendors = new Map();
    const labels = new Map();
    const rejected = new Set();
    const cells = new Map();
    for (const { device, port } of ports) {
      const label = port.label || '(unknown)';
      count(vendors, vendorOf(device));
      count(labels, label);
      count(cells, vendorOf(device) + '\u0000' + label);
      if (port.verdict === 'rejected') {
        rejected.add(label);
      }
    }
    const vendorNames = sortedKeys(vendors);
    const datasets = sortedKeys(labels).map(function (label, i) {
      const isRejected = rejected.has(label);
      return {
        label: isRejected ? label + ' (rejected)' : label,
        data: vendorNames.map(function (vendor) { return cells.get(vendor + '\u0000' + label) || 0; }),
        backgroundColor: isRejected ? '#dc2626' : PALETTE[i % PALETTE.length],
        borderColor: isRejected ? '#000000' : PALETTE[i % PALETTE.length],
        borderWidth: isRejected ? 2 : 0
      };
    });
    return section('Generation mix per vendor', 'generation', chart('generation', {
      type: 'bar',
      data: { labels: vendorNames, datasets: datasets },
      options: { indexAxis: 'y', scales: { x: { stacked: true, title: { display: true, text: 'certificates' } }, y: { stacked: true } } }
    }, 'Leaf certificates by signature label; a label the audit rejects is red with a black border and "(rejected)".'));
  }

  function provenanceMix(ports) {
    const vendors = new Map();
    const kinds = new Map();
    const cells = new Map();
    for (const { device, port } of ports) {
      const kind = port.provenance || 'unknown';
      count(vendors, vendorOf(device));
      count(kinds, kind);
      count(cells, vendorOf(device) + '\u0000' + kind);
    }
    const colours = { factory: '#16a34a', 'self-signed': '#f59e0b', 'custom-ca': '#2563eb', unknown: '#9ca3af' };
    const vendorNames = sortedKeys(vendors);
    const datasets = sortedKeys(kinds).map(function (kind, i) {
      return {
        label: kind,
        data: vendorNames.map(function (vendor) { return cells.get(vendor + '\u0000' + kind) || 0; }),
        backgroundColor: colours[kind] || PALETTE[i % PALETTE.length]
      };
    });
    return section('Provenance per vendor', 'provenance', chart('provenance', {
      type: 'bar',
      data: { labels: vendorNames, datasets: datasets },
      options: { indexAxis: 'y', scales: { x: { stacked: true }, y: { stacked: true } } }
    }));
  }

  function monthOf(time) {
    const date = new Date(time);
    return date.getUTCFullYear() + '-' + String(date.getUTCMonth() + 1).padStart(2, '0');
  }

  function expiryTimeline(ports) {
    const reference = now !== null ? now : Date.now();
    let expired = 0;
    let unknown = 0;
    let later = 0;
    const horizon = reference + 5 * 366 * DAY;
    const months = [];
    const index = new Map();
    for (let date = new Date(reference); date.getTime() <= horizon; date = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1))) {
      index.set(monthOf(date.getTime()), months.length);
      months.push(0);
    }
    for (const { port } of ports) {
      const time = port.not_after ? Date.parse(port.not_after) : NaN;
      if (isNaN(time)) {
        ++unknown;
      } else if (time < reference) {
        ++expired;
      } else if (time > horizon) {
        ++later;
      } else {
        ++months[index.get(monthOf(time))];
      }
    }
    const labels = Array.from(index.keys());
    const warningEnd = warningDays !== null ? reference + warningDays * DAY : null;
    const colours = labels.map(function (month) {
      return warningEnd !== null && month <= monthOf(warningEnd) ? '#f59e0b' : '#2563eb';
    });
    const note = 'Certificates by month of not_after over the next five years, from ' + monthOf(reference) +
      (now !== null ? ' (the assessment date, ' + data.now.slice(0, 10) + ')' : ' (today: the input did not carry the assessment date)') +
      '. ' + (warningDays !== null ? 'Amber: within the ' + warningDays + '-day warning window. ' : 'Warning window not known. ') +
      'Expired: ' + expired + '; later than five years: ' + later + (unknown ? '; no date: ' + unknown : '') + '.';
    return section('Expiry timeline', 'expiry', [el('div', { class: 'tiles small' }, [
      el('div', { class: 'tile sev-high' }, [el('div', { class: 'value', 'data-tile': 'expired' }, String(expired)), el('div', { class: 'label' }, 'expired')]),
      el('div', { class: 'tile' }, [el('div', { class: 'value' }, String(later)), el('div', { class: 'label' }, 'after five years')])
    ])].concat(chart('expiry', {
      type: 'bar',
      data: { labels: labels, datasets: [{ label: 'certificates expiring', data: months, backgroundColor: colours }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, title: { display: true, text: 'certificates' } } } }
    }, note)));
  }

  function findingsChart() {
    const codes = new Map();
    const cells = new Map();
    for (const device of devices) {
      for (const finding of device.findings) {
        count(codes, finding[0]);
        count(cells, finding[0] + '\u0000' + finding[1]);
      }
    }
    const codeNames = sortedKeys(codes);
    const datasets = SEVERITIES.map(function (severity) {
      return {
        label: severity,
        data: codeNames.map(function (code) { return cells.get(code + '\u0000' + severity) || 0; }),
        backgroundColor: SEVERITY_COLOURS[severity]
      };
    }).filter(function (set) { return set.data.some(function (n) { return n > 0; }); });
    const children = codeNames.length === 0 ? [el('p', {}, 'No findings.')] : chart('findings', {
      type: 'bar',
      data: { labels: codeNames, datasets: datasets },
      options: { indexAxis: 'y', scales: { x: { stacked: true, title: { display: true, text: 'devices' } }, y: { stacked: true } } }
    }, 'Devices with each finding, by severity.');
    return section('Findings by code and severity', 'findings', children);
  }

  function siteTotals() {
    const sites = new Map();
    for (const device of devices) {
      const site = siteOf(device);
      if (!sites.has(site)) {
        sites.set(site, { devices: 0, answering: 0, findings: 0, worst: new Map() });
      }
      const entry = sites.get(site);
      ++entry.devices;
      if (device.answered) {
        ++entry.answering;
      }
      if (device.worst) {
        ++entry.findings;
        count(entry.worst, device.worst);
      }
    }
    const head = el('tr', {}, ['site', 'devices', 'answering', 'with findings'].concat(SEVERITIES).map(function (h) { return el('th', {}, h); }));
    const rows = Array.from(sites.keys()).sort().map(function (site) {
      const entry = sites.get(site);
      return el('tr', {}, [el('td', {}, site), el('td', { class: 'num' }, String(entry.devices)), el('td', { class: 'num' }, String(entry.answering)),
        el('td', { class: 'num' }, String(entry.findings))].concat(SEVERITIES.map(function (s) { return el('td', { class: 'num' }, String(entry.worst.get(s) || 0)); })));
    });
    return section('Per site', 'sites', [el('table', { class: 'grid' }, [el('thead', {}, head), el('tbody', {}, rows)]),
      el('p', { class: 'note' }, 'Sites come from the inventory; devices without an inventory row are under "(no site)". Severity columns count devices by their worst finding.')]);
  }

  // ---- device table ---------------------------------------------------------------------------
  const table = { sortKey: 'worst', ascending: true, search: '', vendor: '', site: '', finding: '', severity: '', open: new Set() };
  const severityRank = function (device) { return device.worst ? SEVERITIES.indexOf(device.worst) : SEVERITIES.length; };
  const COLUMNS = [
    ['device', function (d) { return nameOf(d); }],
    ['vendor', function (d) { return vendorOf(d); }],
    ['model', function (d) { return d.model || ''; }],
    ['firmware', function (d) { return d.firmware || ''; }],
    ['site', function (d) { return siteOf(d); }],
    ['ports', function (d) { return d.ports.map(function (p) { return p.port + ' ' + (p.status === 'ok' ? (p.label || 'ok') : p.status); }).join(', '); }],
    ['expires', function (d) { return d.ports.map(function (p) { return p.not_after || ''; }).filter(Boolean).sort()[0] || ''; }],
    ['worst', function (d) { return d.worst || ''; }],
    ['findings', function (d) { return d.findings.map(function (f) { return f[0]; }).join(', '); }]
  ];
  // Lower-cased text a search matches: identity, inventory, CNs, chain names, fingerprints, findings.
  const searchText = devices.map(function (d) {
    const parts = [d.ip, d.host, d.mac, d.vendor, d.model, d.firmware, d.site, d.hostname];
    for (const p of d.ports) {
      parts.push(String(p.port), p.cn, p.label, p.sha256, p.provenance, p.error, p.identity_model, p.identity_firmware,
        p.identity_mac, p.identity_raw);
      for (const c of p.chain || []) {
        parts.push(c.subject, c.issuer);
      }
    }
    for (const f of d.findings) {
      parts.push(f[0], texts[f[2]]);
    }
    return parts.filter(Boolean).join('\n').toLowerCase();
  });
  let tbody = null;
  let shownCounter = null;

  function select(name, values) {
    const node = el('select', { id: 'filter-' + name, 'aria-label': name }, [el('option', { value: '' }, 'any ' + name)].concat(values.map(function (v) {
      return el('option', { value: v }, v);
    })));
    node.value = table[name];
    node.addEventListener('change', function () { table[name] = node.value; renderRows(); });
    return node;
  }

  function deviceTable() {
    const vendors = new Set();
    const sites = new Set();
    const findings = new Set();
    for (const d of devices) {
      vendors.add(vendorOf(d));
      sites.add(siteOf(d));
      for (const f of d.findings) {
        findings.add(f[0]);
      }
    }
    const search = el('input', { id: 'search', type: 'search', placeholder: 'search address, CN, MAC, issuer, fingerprint, finding', 'aria-label': 'search' });
    search.value = table.search;
    search.addEventListener('input', function () { table.search = search.value; renderRows(); });
    shownCounter = el('span', { id: 'shown' });
    const head = el('tr', {}, COLUMNS.map(function (column) {
      const th = el('th', { class: 'sortable', 'data-key': column[0] }, column[0]);
      th.addEventListener('click', function () {
        table.ascending = table.sortKey === column[0] ? !table.ascending : true;
        table.sortKey = column[0];
        renderRows();
      });
      return th;
    }));
    tbody = el('tbody', {});
    return section('Devices', 'devices', [
      el('div', { class: 'controls' }, [search, select('vendor', Array.from(vendors).sort()), select('site', Array.from(sites).sort()),
        select('finding', Array.from(findings).sort()), select('severity', SEVERITIES), shownCounter]),
      el('table', { class: 'grid devices', id: 'device-table' }, [el('thead', {}, head), tbody]),
      el('p', { class: 'note' }, 'Click a column to sort, a row to see its ports, chain, findings and remediation.')
    ]);
  }

  function matches(d, i) {
    if (table.vendor && vendorOf(d) !== table.vendor) return false;
    if (table.site && siteOf(d) !== table.site) return false;
    if (table.finding && !d.findings.some(function (f) { return f[0] === table.finding; })) return false;
    if (table.severity && !d.findings.some(function (f) { return f[1] === table.severity; })) return false;
    if (table.search) {
      const words = table.search.toLowerCase().split(/\s+/).filter(Boolean);
      return words.every(function (word) { return searchText[i].indexOf(word) >= 0; });
    }
    return true;
  }

  const MAX_ROWS = 500; // rows drawn at once; the count says how many match
  let limit = MAX_ROWS;

  function renderRows() {
    const column = COLUMNS.find(function (c) { return c[0] === table.sortKey; });
    const order = [];
    for (let i = 0; i < devices.length; ++i) {
      if (matches(devices[i], i)) {
        order.push(i);
      }
    }
    order.sort(function (a, b) {
      let result;
      if (table.sortKey === 'worst') {
        result = severityRank(devices[a]) - severityRank(devices[b]);
      } else {
        const x = column[1](devices[a]);
        const y = column[1](devices[b]);
        result = x < y ? -1 : x > y ? 1 : 0;
      }
      return (table.ascending ? result : -result) || a - b;
    });
    const rows = document.createDocumentFragment();
    for (const i of order.slice(0, limit)) {
      const device = devices[i];
      const row = el('tr', { class: 'device' + (device.worst ? ' sev-' + device.worst : ''), 'data-device': String(i) },
        COLUMNS.map(function (c) { return el('td', {}, c[1](device)); }));
      row.addEventListener('click', function () {
        table.openShown = false;
        table.open.has(i) ? table.open.delete(i) : table.open.add(i);
        renderRows();
      });
      rows.appendChild(row);
      if (table.open.has(i) || table.openShown) {
        rows.appendChild(el('tr', { class: 'detail' }, [el('td', { colspan: String(COLUMNS.length) }, detail(device))]));
      }
    }
    if (order.length > limit) {
      const more = el('button', { type: 'button', id: 'more' }, 'show ' + Math.min(MAX_ROWS, order.length - limit) + ' more of ' + (order.length - limit));
      more.addEventListener('click', function (event) { event.stopPropagation(); limit += MAX_ROWS; renderRows(); });
      rows.appendChild(el('tr', {}, [el('td', { colspan: String(COLUMNS.length) }, more)]));
    }
    tbody.replaceChildren(rows);
    shownCounter.textContent = order.length + ' of ' + devices.length + ' devices';
    status.matching = order.length;
    status.rows = tbody.querySelectorAll('tr.device').length;
  }

  // What a port announced of itself (its answer to SIP OPTIONS or GET /): device text, shown as text
  // only; the raw header in a <code> of its own.
  function announcedFacts(port) {
    const model = [port.identity_vendor, port.identity_model].filter(Boolean).join(' ');
    return [['identity from', port.identity_source], ['announced model', model], ['announced firmware', port.identity_firmware],
      ['announced MAC', port.identity_mac],
      ['announced as', port.identity_raw ? el('code', { class: 'raw' }, port.identity_raw) : ''],
      ['identity error', port.identity_error]];
  }

  function detail(device) {
    const parts = [];
    const identity = [['address', device.ip], ['name', device.host], ['MAC', device.mac], ['vendor', device.vendor ? device.vendor + ' (' + device.vendor_source + ')' : ''],
      ['model', device.model ? device.model + (device.model_source ? ' (' + device.model_source + ')' : '') : ''],
      ['firmware', device.firmware ? device.firmware + (device.firmware_source ? ' (' + device.firmware_source + ')' : '') : ''],
      ['site', device.site], ['inventory hostname', device.hostname]].filter(function (f) { return f[1]; });
    parts.push(el('dl', { class: 'facts' }, identity.flatMap(function (f) { return [el('dt', {}, f[0]), el('dd', {}, f[1])]; })));
    for (const port of device.ports) {
      const facts = [['status', port.status], ['TLS', port.tls], ['CN', port.cn], ['signature', port.label ? port.label + (port.verdict ? ' (' + port.verdict + ')' : '') : ''],
        ['expires', port.not_after ? port.not_after + (port.days_left !== undefined ? ' (' + port.days_left + ' days)' : '') : ''],
        ['provenance', port.provenance ? port.provenance + (port.provenance_detail ? ': ' + port.provenance_detail : '') : ''],
        ['SHA-256', port.sha256], ['error', port.error]].concat(announcedFacts(port)).filter(function (f) { return f[1]; });
      const chain = (port.chain || []).map(function (c, n) {
        return el('li', {}, c.parse_error ? 'certificate ' + n + ' does not decode: ' + c.parse_error
          : [el('span', { class: 'subject' }, c.subject || '(empty subject)'), ' issued by ', el('span', { class: 'subject' }, c.issuer || '(empty issuer)'),
            ' | ' + [c.label, c.key, c.not_after ? 'until ' + c.not_after : '', c.self_signed ? 'self-signed' : ''].filter(Boolean).join(', ')]);
      });
      parts.push(el('div', { class: 'port' }, [el('h4', {}, 'port ' + port.port),
        el('dl', { class: 'facts' }, facts.flatMap(function (f) { return [el('dt', {}, f[0]), el('dd', {}, typeof f[1] === 'object' ? f[1] : String(f[1]))]; })),
        chain.length ? el('ol', { class: 'chain' }, chain) : null]));
    }
    if (device.findings.length) {
      parts.push(el('h4', {}, 'findings'), el('ul', { class: 'findings' }, device.findings.map(function (f) {
        return el('li', { class: 'sev-' + f[1] }, [el('strong', {}, f[1] + ' ' + f[0]), ': ', texts[f[2]] || '',
          texts[f[3]] ? el('div', { class: 'remediation' }, 'Remediation: ' + texts[f[3]]) : null]);
      })));
    }
    return el('div', { class: 'detail-body' }, parts);
  }

  // ---- the readiness page (`fleetcert readiness --html`): data.readiness is its JSON document ----
  const READINESS_COLOURS = { ready: '#16a34a', not_ready: '#dc2626', unknown: '#9ca3af' };

  function readinessChart(id, title, groups) {
    const names = groups.map(function (g) { return g.name || '(none)'; });
    const datasets = ['ready', 'not_ready', 'unknown'].map(function (key) {
      return { label: key.replace('_', ' '), data: groups.map(function (g) { return g[key]; }), backgroundColor: READINESS_COLOURS[key] };
    });
    return section(title, 'readiness-' + id, chart(id, {
      type: 'bar', data: { labels: names, datasets: datasets },
      options: { indexAxis: 'y', scales: { x: { stacked: true, title: { display: true, text: 'devices' } }, y: { stacked: true } } }
    }));
  }

  function renderReadiness() {
    const doc = data.readiness;
    const rows = doc.devices || [];
    const summary = doc.summary || {};
    const policy = doc.policy || {};
    const tiles = [['devices', summary.devices], ['ready', summary.ready], ['not ready', summary.not_ready],
      ['unknown', summary.unknown], ['left out', summary.addresses_left_out]];
    const facts = [];
    const fact = function (name, value) { facts.push(el('dt', {}, name), el('dd', {}, String(value))); };
    fact('swap date', doc.at);
    fact('trusted after the swap', (doc.trust_after || {}).path + ' (' + ((doc.trust_after || {}).certificates || []).length + ' certificates)');
    fact('rejected hashes', (policy.rejected_hashes || []).join(', ') || 'none');
    fact('smallest keys', 'RSA/DSA ' + policy.min_rsa_bits + ' bits, EC ' + policy.min_ec_bits + ' bits');
    fact('source', (doc.source || {}).kind + ' ' + ((doc.source || {}).path || '') + ((doc.source || {}).interrupted ? ' (interrupted: incomplete)' : ''));
    app.appendChild(section('Readiness for the CA swap', 'headline', [
      el('div', { class: 'tiles' }, tiles.map(function (t) {
        return el('div', { class: 'tile' }, [el('div', { class: 'value', 'data-tile': t[0] }, String(t[1] === undefined ? '-' : t[1])), el('div', { class: 'label' }, t[0])]);
      })),
      el('dl', { class: 'facts' }, facts)]));
    app.appendChild(readinessChart('vendor', 'Per vendor', doc.by_vendor || []));
    app.appendChild(readinessChart('model', 'Per model', doc.by_model || []));
    app.appendChild(readinessChart('site', 'Per site', doc.by_site || []));
    const reasons = doc.devices_by_reason || {};
    const codes = Object.keys(reasons).sort(function (a, b) { return reasons[b] - reasons[a]; });
    app.appendChild(section('Reasons', 'reasons', codes.length === 0 ? [el('p', {}, 'No device has a reason against it.')] : chart('reasons', {
      type: 'bar', data: { labels: codes, datasets: [{ label: 'devices', data: codes.map(function (c) { return reasons[c]; }), backgroundColor: '#dc2626' }] },
      options: { indexAxis: 'y', plugins: { legend: { display: false } } }
    })));

    const state = { search: table.search, status: '' };
    const text = rows.map(function (d) {
      return [d.ip, d.host, d.mac, d.vendor, d.model, d.site, d.status].concat((d.reasons || []).map(function (r) { return r.code + ' ' + r.message; }))
        .concat((d.ports || []).map(function (p) { return p.leaf_subject; })).filter(Boolean).join('\n').toLowerCase();
    });
    const body = el('tbody', {});
    const counter = el('span', { id: 'shown' });
    const open = new Set();
    const draw = function () {
      const words = state.search.toLowerCase().split(/\s+/).filter(Boolean);
      const shown = [];
      rows.forEach(function (d, i) {
        if ((!state.status || d.status === state.status) && words.every(function (w) { return text[i].indexOf(w) >= 0; })) {
          shown.push(i);
        }
      });
      const fragment = document.createDocumentFragment();
      for (const i of shown.slice(0, MAX_ROWS)) {
        const d = rows[i];
        const row = el('tr', { class: 'device' + (d.status === 'not-ready' ? ' sev-high' : d.status === 'unknown' ? ' sev-low' : '') },
          [d.ip || d.host || '', d.vendor || '', d.model || '', d.site || '', d.status, (d.reasons || []).map(function (r) { return r.code; }).join(', ')]
            .map(function (v) { return el('td', {}, v); }));
        row.addEventListener('click', function () { open.has(i) ? open.delete(i) : open.add(i); draw(); });
        fragment.appendChild(row);
        if (open.has(i) || table.openShown) {
          fragment.appendChild(el('tr', { class: 'detail' }, [el('td', { colspan: '6' }, el('div', { class: 'detail-body' }, [
            el('ul', { class: 'findings' }, (d.reasons || []).map(function (r) {
              return el('li', {}, [el('strong', {}, (r.port ? r.port + ' ' : '') + r.code), ': ', r.message || '',
                r.remediation ? el('div', { class: 'remediation' }, 'Remediation: ' + r.remediation) : null]);
            })),
            el('ul', {}, (d.remediation || []).map(function (t) { return el('li', { class: 'remediation' }, t); })),
            el('ul', { class: 'notes' }, (d.firmware ? [el('li', {}, 'firmware ' + d.firmware)] : []).concat((d.notes || []).map(function (n) {
              return el('li', {}, [el('strong', {}, 'note ' + n.code), ': ', n.message || '']);
            }))),
            el('ul', {}, (d.ports || []).map(function (p) {
              return el('li', {}, 'port ' + p.port + ': ' + p.status + (p.leaf_subject ? ', ' + p.leaf_subject : '') + (p.error_class ? ', ' + p.error_class : ''));
            }))]))]));
        }
      }
      body.replaceChildren(fragment);
      counter.textContent = shown.length + ' of ' + rows.length + ' devices' + (shown.length > MAX_ROWS ? ' (first ' + MAX_ROWS + ' shown)' : '');
      status.matching = shown.length;
      status.rows = body.querySelectorAll('tr.device').length;
    };
    app.appendChild(searchableTable({ state: state, draw: draw, key: 'status', values: ['ready', 'not-ready', 'unknown'], anyLabel: 'any status',
      title: 'Devices', headers: ['device', 'vendor', 'model', 'site', 'status', 'reasons'], body: body, counter: counter,
      note: 'Click a row to see its reasons, what to do and its ports.' }));
    drawCharts();
    draw();
    status.devices = rows.length;
  }

  // The readiness and diff pages' device table: a search box and one select filter (state[key]),
  // both redrawing through draw().
  function searchableTable(t) {
    const search = el('input', { id: 'search', type: 'search', placeholder: 'search address, MAC, vendor, model, site, reason', 'aria-label': 'search' });
    search.value = t.state.search;
    search.addEventListener('input', function () { t.state.search = search.value; t.draw(); });
    const select = el('select', { id: 'filter-' + t.key, 'aria-label': t.key }, [''].concat(t.values).map(function (v) {
      return el('option', { value: v }, v || t.anyLabel);
    }));
    select.addEventListener('change', function () { t.state[t.key] = select.value; t.draw(); });
    return section(t.title, 'devices', [el('div', { class: 'controls' }, [search, select, t.counter]),
      el('table', { class: 'grid devices', id: 'device-table' }, [el('thead', {}, el('tr', {}, t.headers.map(function (h) { return el('th', {}, h); }))), t.body]),
      el('p', { class: 'note' }, t.note)]);
  }

  // ---- the diff page (`fleetcert diff --html`): data.diff is the "fleetcert-diff/1" document ----
  const CHANGE_KINDS = ['worse', 'better', 'audit-settings-changed', 'rotated', 'moved', 'appeared', 'vanished', 'changed'];
  const CHANGE_COLOURS = { worse: '#dc2626', better: '#16a34a', 'audit-settings-changed': '#7c3aed', rotated: '#2563eb',
    moved: '#0891b2', appeared: '#65a30d', vanished: '#f59e0b', changed: '#9ca3af' };

  function renderDiff() {
    const doc = data.diff;
    const changes = doc.changes || [];
    const totals = doc.totals || {};
    const facts = [];
    const fact = function (name, value) { facts.push(el('dt', {}, name), el('dd', {}, String(value))); };
    for (const side of ['old', 'new']) {
      const report = doc[side] || {};
      fact(side, (report.path || '') + ' (' + (report.format || '') + (report.started_at ? ', ' + report.started_at : '') +
        (report.endpoints !== undefined ? ', ' + report.endpoints + ' endpoints' : '') + (report.interrupted ? ', interrupted' : '') + ')');
    }
    if ((doc.ignored || []).length) {
      fact('ignored findings', doc.ignored.join(', '));
    }
    for (const warning of doc.warnings || []) {
      fact('warning', warning);
    }
    const kinds = CHANGE_KINDS.concat(['unchanged']);
    app.appendChild(section(doc.worse ? 'Changes between two audits: worse' : 'Changes between two audits', 'headline', [
      el('div', { class: 'tiles' }, kinds.map(function (k) {
        return el('div', { class: 'tile' + (k === 'worse' ? ' sev-high' : '') }, [el('div', { class: 'value', 'data-tile': k }, String(totals[k] || 0)), el('div', { class: 'label' }, k)]);
      })),
      el('dl', { class: 'facts' }, facts)]));
    app.appendChild(section('Changes by kind', 'kinds', chart('kinds', {
      type: 'bar',
      data: { labels: CHANGE_KINDS, datasets: [{ label: 'devices', data: CHANGE_KINDS.map(function (k) { return totals[k] || 0; }),
        backgroundColor: CHANGE_KINDS.map(function (k) { return CHANGE_COLOURS[k]; }) }] },
      options: { indexAxis: 'y', plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, title: { display: true, text: 'devices' } } } }
    }, 'Each changed device counts once, under its kind; "also" kinds are in the table.')));

    const state = { search: table.search, kind: '' };
    const text = changes.map(function (c) {
      return [c.kind].concat(c.also || [], [c.ip, c.old_ip, c.host, c.mac, c.vendor, c.model, c.site],
        (c.reasons || []).map(function (r) { return r.text; })).filter(Boolean).join('\n').toLowerCase();
    });
    const body = el('tbody', {});
    const counter = el('span', { id: 'shown' });
    const open = new Set();
    const draw = function () {
      const words = state.search.toLowerCase().split(/\s+/).filter(Boolean);
      const shown = [];
      changes.forEach(function (c, i) {
        if ((!state.kind || c.kind === state.kind || (c.also || []).indexOf(state.kind) >= 0) &&
            words.every(function (w) { return text[i].indexOf(w) >= 0; })) {
          shown.push(i);
        }
      });
      const fragment = document.createDocumentFragment();
      for (const i of shown.slice(0, MAX_ROWS)) {
        const c = changes[i];
        const row = el('tr', { class: 'device' + (c.worse ? ' sev-high' : '') }, [
          c.kind + ((c.also || []).length ? ' (also ' + c.also.join(', ') + ')' : ''),
          (c.ip || c.host || '') + (c.old_ip ? ' (was ' + c.old_ip + ')' : ''), c.vendor || '', c.model || '', c.site || '',
          (c.reasons || []).length + ' reasons'].map(function (v) { return el('td', {}, v); }));
        row.addEventListener('click', function () { open.has(i) ? open.delete(i) : open.add(i); draw(); });
        fragment.appendChild(row);
        if (open.has(i) || table.openShown) {
          fragment.appendChild(el('tr', { class: 'detail' }, [el('td', { colspan: '6' }, el('ul', { class: 'findings' }, (c.reasons || []).map(function (r) {
            return el('li', {}, [el('strong', {}, r.effect + ' '), r.text || (r.field + ': ' + r.before + ' -> ' + r.after)]);
          })))]));
        }
      }
      body.replaceChildren(fragment);
      counter.textContent = shown.length + ' of ' + changes.length + ' changed devices' + (shown.length > MAX_ROWS ? ' (first ' + MAX_ROWS + ' shown)' : '');
      status.matching = shown.length;
      status.rows = body.querySelectorAll('tr.device').length;
    };
    app.appendChild(searchableTable({ state: state, draw: draw, key: 'kind', values: CHANGE_KINDS, anyLabel: 'any kind',
      title: 'Changed devices', headers: ['kind', 'device', 'vendor', 'model', 'site', 'reasons'], body: body, counter: counter,
      note: 'Click a row to see its reasons, before and after.' }));
    drawCharts();
    draw();
    status.devices = changes.length;
  }

  function readFragment() {
    const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
    for (const key of ['search', 'vendor', 'site', 'finding', 'severity']) {
      if (fragment.has(key)) {
        table[key] = fragment.get(key);
      }
    }
    if (fragment.get('open') === 'shown') {
      table.openShown = true;
    } else if (fragment.has('open')) {
      for (const i of fragment.get('open').split(',')) {
        if (/^\d+$/.test(i) && Number(i) < devices.length) {
          table.open.add(Number(i));
        }
      }
    }
  }

  function writeStatus() {
    const node = document.getElementById('fleetcert-status');
    if (!node) {
      return;
    }
    node.setAttribute('data-errors', String(status.errors.length));
    node.setAttribute('data-error-text', status.errors.join(' | '));
    if (status.ready) {
      node.setAttribute('data-ready', 'yes');
      node.setAttribute('data-ready-ms', String(Math.round(status.readyMs)));
      node.setAttribute('data-devices', String(status.devices));
      node.setAttribute('data-matching', String(status.matching));
      node.setAttribute('data-rows', String(status.rows));
      node.setAttribute('data-charts', Object.keys(status.charts).map(function (id) {
        return id + ':' + (drawn(status.charts[id].canvas) ? 'drawn' : 'blank');
      }).join(' '));
      // Set only by a script the page did not write (what the browser tests inject through CNs).
      node.setAttribute('data-injected', window.__fleetcertInjected !== undefined ? String(window.__fleetcertInjected) : 'none');
    }
  }

  try {
    readFragment();
    if (data.page === 'readiness') {
      renderReadiness();
    } else if (data.page === 'diff') {
      renderDiff();
    } else {
      renderScan();
    }
    status.ready = true;
    status.readyMs = performance.now(); // since navigation started: parsing included
  } catch (error) {
    status.errors.push(String(error && error.stack || error));
  }
  writeStatus();

  function renderScan() {
    const ports = certifiedPorts();
    app.appendChild(headline());
    app.appendChild(generationMix(ports));
    app.appendChild(provenanceMix(ports));
    app.appendChild(expiryTimeline(ports));
    app.appendChild(findingsChart());
    app.appendChild(siteTotals());
    app.appendChild(deviceTable());
    drawCharts();
    renderRows();
    status.devices = devices.length;
  }
})();
