// Readiness dashboard: draws the maps, switches the map figure, sorts and filters tables, and applies live updates
// from the server's event stream. The pages are complete without it; this only adds to them.
(() => {
  'use strict';

  const doc = document;
  const en = doc.documentElement.lang === 'en';
  const t = (ja, english) => (en ? english : ja);
  const numberFormat = new Intl.NumberFormat('en-US');
  const fmtInt = (v) => numberFormat.format(Math.round(v));
  const fmtPct = (v) => (v * 100).toFixed(1) + '%';
  const fmtTile = (v) => (v == null ? t('未報告', 'n/a') : fmtPct(v).replace('.0%', '%'));
  const unreported = () => `<span class="unreported">${t('未報告', 'Not yet reported')}</span>`;
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  const jst = (iso) => {
    if (!iso) return '';
    const d = new Date(new Date(iso).getTime() + 9 * 3600 * 1000);
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())} JST`;
  };

  // ---------------------------------------------------------------- character counts
  // A text field's limit is the server's, in characters (code points: 𠮷 or an emoji is one), which HTML maxlength
  // cannot count (UTF-16 units: it would stop at half the limit of emoji). The field takes any length; this shows the
  // count beside it and the server refuses a longer value with the field's 422 message. The count is of the value as
  // the server stores it (data-count-as names its form), so ㈱ in a vendor is 3 characters here as there (NFKC: (株)).
  const countedAs = {
    // FreeText.Identifier (a vendor): NFC, trimmed, NFKC, each run of spaces one space, trimmed.
    identifier: (v) => v.normalize('NFC').trim().normalize('NFKC').replace(/\p{Zs}+/gu, ' ').trim(),
    // FreeText.Canonical (reasons, evidence): NFC, trimmed.
    canonical: (v) => v.normalize('NFC').trim(),
    // A name counted trimmed (a display name, a client's, a passkey's).
    trimmed: (v) => v.trim(),
  };
  for (const field of doc.querySelectorAll('[data-max-chars]')) {
    const max = Number(field.getAttribute('data-max-chars'));
    const stored = countedAs[field.getAttribute('data-count-as')] || ((v) => v);
    const count = doc.createElement('span');
    count.className = 'char-count';
    count.setAttribute('aria-live', 'polite');
    const show = () => {
      const n = Array.from(stored(field.value)).length;
      count.textContent = `${fmtInt(n)} / ${fmtInt(max)}`;
      count.classList.toggle('over', n > max);
    };
    field.insertAdjacentElement('afterend', count);
    field.addEventListener('input', show);
    show();
  }

  const metricsElement = doc.getElementById('map-metrics');
  const metrics = metricsElement ? JSON.parse(metricsElement.textContent) : [];
  const metricDef = (id) => metrics.find((m) => m.id === id) || metrics[0];
  const classOf = (id, v) => {
    if (v == null || Number.isNaN(v)) return 'm-none';
    const m = metricDef(id);
    return `m-${id}-${m.t.filter((x) => v >= x).length}`;
  };
  const checked = doc.querySelector('[data-metric-switch] input:checked');
  let metric = checked ? checked.value : 'progress';

  // ---------------------------------------------------------------- tooltip (one for the page)
  const tooltip = doc.createElement('div');
  tooltip.className = 'map-tooltip';
  tooltip.setAttribute('role', 'tooltip');
  tooltip.hidden = true;
  tooltip.style.position = 'fixed';
  doc.body.appendChild(tooltip);
  function showTooltip(html, x, y) {
    tooltip.innerHTML = html;
    tooltip.hidden = false;
    const w = tooltip.offsetWidth;
    const h = tooltip.offsetHeight;
    const left = Math.min(window.innerWidth - w - 8, x + 14);
    const top = y + 16 + h > window.innerHeight ? y - h - 12 : y + 16;
    tooltip.style.left = `${Math.max(8, left)}px`;
    tooltip.style.top = `${Math.max(8, top)}px`;
  }
  const hideTooltip = () => { tooltip.hidden = true; };
  const row = (label, value) => `<dt>${label}</dt><dd>${value}</dd>`;

  // ---------------------------------------------------------------- figures
  function setFigure(key, value) {
    doc.querySelectorAll(`[data-figure="${key}"]`).forEach((el) => {
      el.dataset.value = value == null ? '' : String(value);
      const text = value == null ? el.dataset.empty || '—' : el.dataset.format === 'pct' ? fmtPct(value) : fmtInt(value);
      if (el.textContent === text) return;
      el.textContent = text;
      el.classList.add('is-changed');
      setTimeout(() => el.classList.remove('is-changed'), 1600);
    });
    doc.querySelectorAll(`[data-figure-bar="${key}"]`).forEach((el) => { el.style.width = `${Math.min(100, (value || 0) * 100)}%`; });
  }

  function setFigures(figures) {
    Object.entries(figures).forEach(([key, value]) => setFigure(key, value));
    const bars = doc.querySelectorAll('[data-reason-bar]');
    const max = Math.max(1, ...Array.from(bars, (b) => figures[`designatedByReason.${b.dataset.reasonBar}`] || 0));
    bars.forEach((b) => { b.style.width = `${((figures[`designatedByReason.${b.dataset.reasonBar}`] || 0) / max) * 100}%`; });
  }

  // ---------------------------------------------------------------- maps
  const prefectureNames = new Map(Array.from(doc.querySelectorAll('.tile[data-pref]'), (a) => [a.dataset.pref, a.dataset.name]));

  // Values per municipality: {progress, migrated, applicable, designated, security, stale, overdue}; shares 0..1.
  const fromItem = (i) => ({
    progress: i[1] == null ? null : i[1] / 1000, migrated: i[2], applicable: i[3], designated: i[4],
    security: i[5] == null ? null : i[5] / 1000, stale: i[6], overdue: i[7],
  });
  const metricValue = (v, id) => {
    if (!v) return null;
    switch (id) {
      case 'designated': return v.applicable ? v.designated / v.applicable : null;
      case 'security': return v.security;
      case 'stale': return v.stale;
      default: return v.progress;
    }
  };

  class ChoroplethMap {
    constructor(el) {
      this.el = el;
      this.values = new Map();
      this.names = new Map();
      this.paths = new Map();
      this.focusable = el.dataset.data === 'municipality-table';
      // The municipality pages the viewer may open (data-openable: "*", a code prefix, or none): an area of another
      // prefecture is no link, for its page would answer 403.
      const openable = el.dataset.openable || '';
      this.opens = (code) => openable === '*' || (openable !== '' && String(code).startsWith(openable));
    }

    async load() {
      const response = await fetch(this.el.dataset.geometry);
      if (!response.ok) throw new Error(`map geometry ${response.status}`);
      const geo = await response.json();
      this.render(geo);
    }

    render(geo) {
      const parts = [`<svg viewBox="0 0 ${geo.w} ${geo.h}" xmlns="http://www.w3.org/2000/svg" aria-hidden="${this.focusable ? 'false' : 'true'}" focusable="false">`];
      geo.insets.forEach(([x, y, w, h, ja, english]) => {
        parts.push(`<rect class="inset" x="${x}" y="${y}" width="${w}" height="${h}" rx="6"/><text class="inset-label" x="${x + geo.w / 200}" y="${y + geo.w / 50}" font-size="${Math.max(11, geo.w / 60)}">${esc(en ? english : ja)}</text>`);
      });
      if (geo.hoppo) parts.push(`<path class="hoppo" d="${geo.hoppo}"/>`);
      geo.shapes.forEach(([code, name, pref, d]) => {
        this.names.set(code, { name, pref });
        const focus = this.focusable && this.opens(code) ? ' tabindex="0" role="link"' : '';
        const label = this.focusable ? ` aria-label="${esc(name)}"` : '';
        parts.push(`<path class="area m-none" data-code="${code}"${focus}${label} d="${d}"/>`);
      });
      if (geo.borders) parts.push(`<path class="borders" d="${geo.borders}"/>`);
      parts.push('<path class="highlight" d=""/></svg>');
      this.el.innerHTML = parts.join('');
      this.svg = this.el.firstChild;
      this.highlight = this.svg.lastChild;
      this.svg.querySelectorAll('path.area').forEach((p) => this.paths.set(p.dataset.code, p));
      this.recolour();
      this.bind();
      performance.mark(`map-rendered:${this.el.id}`);
      this.el.dataset.rendered = 'true';
    }

    bind() {
      const target = (e) => e.target.closest && e.target.closest('path.area');
      this.svg.addEventListener('mousemove', (e) => {
        const p = target(e);
        if (!p) { this.leave(); return; }
        this.enter(p, e.clientX, e.clientY);
      });
      this.svg.addEventListener('mouseleave', () => this.leave());
      this.svg.addEventListener('click', (e) => {
        const p = target(e);
        if (p && this.opens(p.dataset.code)) window.location.href = `/municipalities/${p.dataset.code}`;
      });
      this.svg.addEventListener('focusin', (e) => {
        const p = target(e);
        if (!p) return;
        const r = p.getBoundingClientRect();
        this.enter(p, r.left + r.width / 2, r.top + r.height / 2);
      });
      this.svg.addEventListener('focusout', () => this.leave());
      this.svg.addEventListener('keydown', (e) => {
        const p = target(e);
        if (p && this.opens(p.dataset.code) && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); window.location.href = `/municipalities/${p.dataset.code}`; }
      });
    }

    enter(p, x, y) {
      const code = p.dataset.code;
      if (this.current !== code) {
        this.current = code;
        this.highlight.setAttribute('d', p.getAttribute('d'));
      }
      showTooltip(this.describe(code), x, y);
    }

    leave() {
      this.current = null;
      this.highlight.setAttribute('d', '');
      hideTooltip();
    }

    describe(code) {
      const n = this.names.get(code) || { name: code, pref: '' };
      const v = this.values.get(code);
      const prefName = prefectureNames.get(n.pref) || '';
      if (!v) return `<strong>${esc(n.name)}</strong>${esc(prefName)}`;
      return `<strong>${esc(n.name)}</strong>${esc(prefName)}<dl>${[
        row(t('平均進捗', 'Progress'), v.progress == null ? '—' : fmtPct(v.progress)),
        row(t('移行済み', 'Migrated'), `${v.migrated} / ${v.applicable}`),
        row(t('特定移行支援', 'Designated'), fmtInt(v.designated)),
        row(t('期限超過', 'Overdue'), fmtInt(v.overdue)),
        row(t('セキュリティ', 'Security'), v.security == null ? t('未報告', 'Not yet reported') : fmtPct(v.security)),
        row(t('報告', 'Reporting'), v.stale ? t('停滞（30日以上）', 'Stale (30+ days)') : t('報告あり', 'Reported')),
      ].join('')}</dl>`;
    }

    set(code, values) {
      this.values.set(code, values);
      const p = this.paths.get(code);
      if (p) p.setAttribute('class', `area ${classOf(metric, metricValue(values, metric))}${p.classList.contains('dim') ? ' dim' : ''}`);
    }

    recolour() {
      this.paths.forEach((p, code) => {
        p.setAttribute('class', `area ${classOf(metric, metricValue(this.values.get(code), metric))}${p.classList.contains('dim') ? ' dim' : ''}`);
      });
    }

    dim(visible) {
      this.paths.forEach((p, code) => p.classList.toggle('dim', !visible.has(code)));
    }
  }

  const maps = Array.from(doc.querySelectorAll('[data-map]'), (el) => new ChoroplethMap(el));
  let mapKey = null;

  function loadMapData(data) {
    mapKey = data.key;
    maps.forEach((m) => data.items.forEach((i) => m.values.set(i[0], fromItem(i))));
    maps.forEach((m) => m.recolour());
  }

  function valuesFromRow(tr) {
    const n = (name) => (tr.dataset[name] === '' || tr.dataset[name] == null ? null : Number(tr.dataset[name]));
    return {
      progress: n('progress') == null ? null : n('progress') / 1000, migrated: n('migrated'), applicable: n('applicable'),
      designated: n('designated'), security: n('security') == null ? null : n('security') / 1000, stale: n('stale'), overdue: n('overdue'),
    };
  }

  maps.forEach((m) => {
    const source = doc.getElementById(m.el.dataset.data);
    if (source && source.tagName === 'SCRIPT') {
      const data = JSON.parse(source.textContent);
      mapKey = data.key;
      data.items.forEach((i) => m.values.set(i[0], fromItem(i)));
    } else if (source) {
      source.querySelectorAll('tbody tr[data-code]').forEach((tr) => m.values.set(tr.dataset.code, valuesFromRow(tr)));
    }
    const loading = m.el.querySelector('[data-map-loading]');
    m.load().catch((err) => {
      if (loading) loading.textContent = t('地図を読み込めませんでした。同じデータは下の表にあります。', 'The map could not be loaded; the tables below hold the same data.');
      console.warn(err);
    });
  });

  // ---------------------------------------------------------------- tiles
  const tileValue = (a, id) => (a.dataset[id] === '' ? null : Number(a.dataset[id]));
  function recolourTiles() {
    doc.querySelectorAll('.tile[data-pref]').forEach((a) => {
      const v = tileValue(a, metric);
      const cls = classOf(metric, v);
      a.querySelector('rect').setAttribute('class', cls);
      const dark = /-(3|4)$/.test(cls);
      const [name, value] = a.querySelectorAll('text');
      value.textContent = fmtTile(v);
      name.classList.toggle('on-dark', dark);
      value.classList.toggle('on-dark', dark);
      const label = doc.querySelector(`[data-metric-switch] input[value="${metric}"] + span`);
      // Label in Name (WCAG 2.5.3): the accessible name starts with the visible text, as TileMap.razor renders it.
      const metricName = label ? label.textContent : '';
      const detail = name.textContent === a.dataset.name ? metricName : t(`${a.dataset.name}・${metricName}`, `${a.dataset.name}, ${metricName}`);
      a.setAttribute('aria-label', t(`${name.textContent} ${fmtTile(v)}（${detail}）`, `${name.textContent} ${fmtTile(v)} (${detail})`));
    });
  }
  function describeTile(a) {
    const n = (k) => Number(a.dataset[k]);
    return `<strong>${esc(a.dataset.name)}</strong><dl>${[
      row(t('平均進捗', 'Progress'), fmtTile(tileValue(a, 'progress'))),
      row(t('移行済み', 'Migrated'), `${fmtInt(n('migrated'))} / ${fmtInt(n('applicable'))}`),
      row(t('特定移行支援', 'Designated'), fmtInt(n('designatedSystems'))),
      row(t('報告停滞', 'Stale'), `${fmtInt(n('staleMunicipalities'))} / ${fmtInt(n('municipalities'))}`),
      row(t('セキュリティ', 'Security'), fmtTile(tileValue(a, 'security'))),
    ].join('')}</dl>`;
  }
  doc.querySelectorAll('.tile[data-pref]').forEach((a) => {
    a.addEventListener('mousemove', (e) => showTooltip(describeTile(a), e.clientX, e.clientY));
    a.addEventListener('mouseleave', hideTooltip);
    a.addEventListener('focus', () => { const r = a.getBoundingClientRect(); showTooltip(describeTile(a), r.right, r.top); });
    a.addEventListener('blur', hideTooltip);
  });

  // ---------------------------------------------------------------- metric switch
  doc.querySelectorAll('[data-metric-switch]').forEach((form) => {
    form.addEventListener('change', (e) => {
      if (e.target.name !== 'metric') return;
      metric = e.target.value;
      doc.querySelectorAll('[data-legend]').forEach((l) => { l.hidden = l.dataset.legend !== metric; });
      maps.forEach((m) => m.recolour());
      recolourTiles();
      const url = new URL(window.location.href);
      if (metric === 'progress') url.searchParams.delete('metric'); else url.searchParams.set('metric', metric);
      history.replaceState(null, '', url);
    });
    form.addEventListener('submit', (e) => e.preventDefault());
  });

  // ---------------------------------------------------------------- tables: sort and filter without reloading
  function cellValue(tr, index, type) {
    const cell = tr.children[index];
    const raw = cell ? cell.dataset.value : '';
    if (type === 'text') return raw || '';
    return raw === '' || raw == null ? -Infinity : Number(raw);
  }
  function sortTable(table, th, descending) {
    const index = Array.prototype.indexOf.call(th.parentNode.children, th);
    const type = th.dataset.type || 'number';
    const body = table.tBodies[0];
    const rows = Array.from(body.rows);
    rows.sort((a, b) => {
      const x = cellValue(a, index, type);
      const y = cellValue(b, index, type);
      const c = x < y ? -1 : x > y ? 1 : 0;
      return descending ? -c : c;
    });
    rows.forEach((r) => body.appendChild(r));
    th.parentNode.querySelectorAll('th[data-sort]').forEach((h) => h.setAttribute('aria-sort', h === th ? (descending ? 'descending' : 'ascending') : 'none'));
  }
  doc.querySelectorAll('table.sortable').forEach((table) => {
    table.querySelectorAll('thead th[data-sort]').forEach((th) => {
      let control = th.querySelector('a');
      if (!control) {
        control = doc.createElement('button');
        control.type = 'button';
        control.textContent = th.textContent.trim();
        th.textContent = '';
        th.appendChild(control);
        if (!th.hasAttribute('aria-sort')) th.setAttribute('aria-sort', 'none');
      }
      control.addEventListener('click', (e) => {
        e.preventDefault();
        const descending = th.getAttribute('aria-sort') === 'ascending';
        sortTable(table, th, descending);
        if (control.tagName === 'A') {
          const url = new URL(window.location.href);
          if (th.dataset.sort === 'code' && !descending) url.searchParams.delete('sort'); else url.searchParams.set('sort', th.dataset.sort);
          if (descending) url.searchParams.set('dir', 'desc'); else url.searchParams.delete('dir');
          history.replaceState(null, '', url);
          updateCsvLink();
        }
      });
    });
  });

  const filterForm = doc.querySelector('[data-table-filter]');
  // Every download of the table (CSV and Excel) follows the filters and sort shown: the Excel link kept the page's
  // first filters after a search as you type.
  function updateCsvLink() {
    const page = new URL(window.location.href);
    doc.querySelectorAll('[data-csv-link], [data-xlsx-link]').forEach((link) => {
      const url = new URL(link.href, window.location.href);
      url.search = '';
      ['q', 'kind', 'flag', 'sort', 'dir'].forEach((k) => { if (page.searchParams.get(k)) url.searchParams.set(k, page.searchParams.get(k)); });
      link.href = url.pathname + url.search;
    });
  }
  // Which rows match is the server's answer (/prefectures/{code}/search): Japanese search (NFKC, kana, ケ/ヶ, variant
  // kanji) has one set of rules, on the server; this script keeps no copy of them. The newest answer wins.
  let filterRequest = 0;
  async function applyFilter() {
    if (!filterForm) return;
    const table = doc.getElementById(filterForm.dataset.tableFilter);
    const data = new FormData(filterForm);
    const rawQuery = (data.get('q') || '').trim();
    const kind = data.get('kind') || '';
    const flag = data.get('flag') || '';
    const search = new URLSearchParams();
    [['q', rawQuery], ['kind', kind], ['flag', flag]].forEach(([k, v]) => { if (v) search.set(k, v); });
    const request = ++filterRequest;
    let codes;
    try {
      const response = await fetch(`${filterForm.getAttribute('action')}/search?${search}`, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
      if (!response.ok) return;
      codes = new Set((await response.json()).codes);
    } catch (e) {
      return;
    }
    if (request !== filterRequest) return;
    const visible = new Set();
    table.querySelectorAll('tbody tr[data-code]').forEach((tr) => {
      const match = codes.has(tr.dataset.code);
      tr.hidden = !match;
      if (match) visible.add(tr.dataset.code);
    });
    const count = doc.querySelector('[data-row-count]');
    if (count) count.textContent = String(visible.size);
    maps.forEach((m) => m.dim(visible));
    const url = new URL(window.location.href);
    [['q', rawQuery], ['kind', kind], ['flag', flag]].forEach(([k, v]) => { if (v) url.searchParams.set(k, v); else url.searchParams.delete(k); });
    history.replaceState(null, '', url);
    updateCsvLink();
    table.dataset.filtered = rawQuery;
  }
  if (filterForm) {
    let timer = 0;
    filterForm.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(applyFilter, 120); });
    filterForm.addEventListener('change', applyFilter);
    filterForm.addEventListener('submit', (e) => { e.preventDefault(); applyFilter(); });
  }

  // ---------------------------------------------------------------- live updates (Server-Sent Events)
  const live = doc.querySelector('[data-live]');
  const status = doc.querySelector('[data-live-status]');
  function setStatus(kind, text) {
    if (!status) return;
    status.classList.toggle('is-offline', kind === 'offline');
    status.classList.toggle('is-updated', kind === 'updated');
    status.textContent = text;
  }

  function onNation(msg) {
    live.dataset.version = String(msg.version);
    setFigures(msg.figures);
    const time = doc.querySelector('[data-computed-at]');
    if (time) { time.setAttribute('datetime', msg.computedAt); time.textContent = jst(msg.computedAt); }
    Object.entries(msg.prefectures).forEach(([code, p]) => {
      const tile = doc.querySelector(`.tile[data-pref="${code}"]`);
      if (tile) {
        ['progress', 'designated', 'security', 'stale'].forEach((k) => { tile.dataset[k] = p[k] == null ? '' : String(p[k]); });
        tile.dataset.migrated = p.migrated;
        tile.dataset.applicable = p.applicable;
        tile.dataset.designatedSystems = p.designatedSystems;
        tile.dataset.staleMunicipalities = p.staleMunicipalities;
        tile.dataset.municipalities = p.municipalities;
      }
      const tr = doc.querySelector(`tr[data-pref-row="${code}"]`);
      if (tr) {
        const cell = (col, value, html) => { const td = tr.querySelector(`[data-col="${col}"]`); if (td) { td.dataset.value = value == null ? '' : String(value); td.innerHTML = html; } };
        cell('progress', p.progress, p.progress == null ? '—' : fmtPct(p.progress));
        cell('migrated', p.applicable ? p.migrated / p.applicable : null, `${fmtInt(p.migrated)} <span class="muted">(${p.applicable ? fmtPct(p.migrated / p.applicable) : '—'})</span>`);
        cell('complete', p.completeMunicipalities, fmtInt(p.completeMunicipalities));
        cell('designated', p.designatedSystems, fmtInt(p.designatedSystems));
        cell('overdue', p.overdueSystems, fmtInt(p.overdueSystems));
        cell('stale', p.staleMunicipalities, fmtInt(p.staleMunicipalities));
        cell('security', p.security, p.security == null ? t('未報告', 'Not yet reported') : fmtPct(p.security));
      }
    });
    recolourTiles();
    (msg.businesses || []).forEach((b) => {
      const tr = doc.querySelector(`tr[data-business="${b.id}"]`);
      if (!tr) return;
      const total = Math.max(1, b.counts.reduce((a, c) => a + c, 0));
      const applicable = b.counts.slice(0, 11).reduce((a, c) => a + c, 0);
      tr.querySelectorAll('[data-seg]').forEach((seg) => { seg.style.width = `${(b.counts[Number(seg.dataset.seg)] * 100) / total}%`; });
      const migrated = tr.querySelector('[data-business-migrated]');
      if (migrated) migrated.textContent = applicable ? fmtPct((b.counts[9] + b.counts[10]) / applicable) : '—';
      const designated = tr.querySelector('[data-business-designated]');
      if (designated) designated.textContent = fmtInt(b.designated);
    });
    const m = msg.map;
    if (m && maps.length && m.to !== mapKey) {
      if (m.from === mapKey) {
        maps.forEach((map) => m.changes.forEach((i) => map.set(i[0], fromItem(i))));
        mapKey = m.to;
      } else {
        fetch('/live/map-data').then((r) => r.json()).then(loadMapData).catch((err) => console.warn(err));
      }
    }
  }

  function onPrefecture(msg) {
    live.dataset.version = String(msg.version);
    setFigures(msg.figures);
    const asOf = doc.querySelector('[data-as-of]');
    if (asOf) asOf.textContent = msg.asOf;
    msg.rows.forEach((r) => {
      const tr = doc.querySelector(`tr[data-code="${r.code}"]`);
      if (!tr) return;
      const before = `${tr.dataset.progress}|${tr.dataset.migrated}|${tr.dataset.designated}|${tr.dataset.overdue}|${tr.dataset.stale}|${tr.dataset.security}`;
      const permille = (v) => (v == null ? '' : String(Math.round(v * 1000)));
      Object.assign(tr.dataset, {
        progress: permille(r.progress), security: permille(r.security), migrated: r.migrated, applicable: r.applicable,
        designated: r.designated, stale: r.stale ? 1 : 0, overdue: r.overdue, regression: r.regression,
      });
      const flags = [r.complete ? 'complete' : 'incomplete', r.designated > 0 && 'designated', r.overdue > 0 && 'overdue', r.stale && 'stale', r.regression > 0 && 'regression', r.origin === 'synthetic' && 'synthetic'];
      tr.dataset.flags = flags.filter(Boolean).join(' ');
      const cell = (col, value, html) => { const td = tr.querySelector(`[data-col="${col}"]`); if (td) { td.dataset.value = value == null ? '' : String(value); td.innerHTML = html; } };
      cell('progress', r.progress, r.progress == null ? '—' : fmtPct(r.progress));
      cell('migrated', r.applicable ? r.migrated / r.applicable : null, `${r.migrated} / ${r.applicable}`);
      cell('designated', r.designated, fmtInt(r.designated));
      cell('overdue', r.overdue, r.overdue > 0 ? `<span class="badge badge-alert">${fmtInt(r.overdue)}</span>` : '<span>0</span>');
      cell('regression', r.regression, r.regression > 0 ? `<span class="badge badge-alert">${fmtInt(r.regression)}</span>` : '<span>0</span>');
      cell('stale', r.stale ? 1 : 0, r.stale ? `<span class="badge badge-warn">${t('停滞', 'Stale')}</span>` : `<span class="badge badge-ok">${t('報告あり', 'Reported')}</span>`);
      cell('security', r.security, r.security == null ? unreported() : fmtPct(r.security));
      cell('reported', r.lastReportedAt || '', r.lastReportedAt ? jst(r.lastReportedAt) : unreported());
      const after = `${tr.dataset.progress}|${tr.dataset.migrated}|${tr.dataset.designated}|${tr.dataset.overdue}|${tr.dataset.stale}|${tr.dataset.security}`;
      if (before !== after) {
        tr.classList.add('is-changed');
        setTimeout(() => tr.classList.remove('is-changed'), 2000);
      }
      maps.forEach((m) => m.set(r.code, valuesFromRow(tr)));
    });
    if (filterForm) applyFilter();
  }

  // A change list (a prefecture's or the nation's changes, a municipality's history) says that newer changes exist,
  // driven by the same stream: on an event whose version differs from the last one seen, it reads the JSON feed's newest
  // page once and counts the entries after the one the page knew (NewerChanges.razor). The reader keeps their place.
  const newer = doc.querySelector('[data-newer-changes]');
  let newerVersion = null;
  let newerRequest = 0;
  async function checkNewer(msg) {
    if (msg.version === newerVersion) return;
    newerVersion = msg.version;
    const request = ++newerRequest;
    let body;
    try {
      const r = await fetch(newer.dataset.feed, { credentials: 'same-origin', cache: 'no-cache', headers: { Accept: 'application/json' } });
      if (!r.ok) return;
      body = await r.json();
    } catch (e) {
      return;
    }
    if (request !== newerRequest) return;
    const items = body.items || [];
    let count = 0;
    let found = false;
    if (newer.dataset.afterVersion) {
      // A municipality's history lists every entry; a report's confirmations (before = after, one per target it named)
      // count as one, as the area feeds group them: a colleague's report confirming 67 targets is one new report, not
      // 67 changes (round 44).
      const after = Number(newer.dataset.afterVersion);
      const confirmedVersions = new Set();
      for (const i of items) {
        if (i.version <= after) { found = true; continue; }
        if (!i.confirmed) count += 1;
        else if (!confirmedVersions.has(i.version)) { confirmedVersions.add(i.version); count += 1; }
      }
    } else {
      // The area feeds are read with the page's ?confirmed= view: a confirming report is already one item (grouped,
      // only) or absent (exclude), so each item counts once.
      for (const i of items) {
        if (newer.dataset.newest && `${i.municipalityCode}|${i.version}` === newer.dataset.newest) { found = true; break; }
        count += 1;
      }
    }
    if (count === 0) return;
    const n = !found && body.nextCursor ? `${fmtInt(count)}${t('件以上', '+')}` : fmtInt(count);
    if (newer.dataset.count === n) return; // unchanged: not announced again
    newer.dataset.count = n;
    newer.innerHTML = `<p class="notice notice-newer">${esc(t(`新しい変更があります（${n}件）`, `There are newer changes (${n})`))} — `
      + `<a href="${esc(newer.dataset.link)}" data-newer-link>${esc(t('表示を更新', 'Show them'))}</a></p>`;
  }

  // The browser retries an event stream only after a network drop; any other answer (429 too_many_streams, 502/503
  // while a node restarts, 401 when the session has ended) closes it for good. A closed stream is opened again after a
  // back-off: the server's retry setting, doubled per failure up to a minute, with jitter so that many pages refused
  // together do not come back together; reset by a successful open. A 401/403 stops it and asks for sign-in instead.
  if ((live || newer) && 'EventSource' in window) {
    const url = `/api/v1/stream?topic=${encodeURIComponent(live ? live.dataset.live : newer.dataset.topic)}`;
    const baseDelay = Math.max(500, Number(status && status.dataset.retryMs) || 2000);
    const maxDelay = 60000;
    let source = null;
    let timer = 0;
    let failures = 0;
    let check = null;
    let first = true;
    const received = (handler) => (e) => {
      const msg = JSON.parse(e.data);
      if (live) handler(msg);
      if (newer) checkNewer(msg);
      if (first) { first = false; setStatus('live', t('自動更新中', 'Live')); return; }
      const now = new Date();
      setStatus('updated', `${t('更新', 'Updated')} ${now.toLocaleTimeString(en ? 'en-GB' : 'ja-JP')}`);
      if (live) live.dataset.updates = String(Number(live.dataset.updates || 0) + 1);
    };
    const stop = () => {
      clearTimeout(timer);
      timer = 0;
      if (check) { check.abort(); check = null; }
      if (source) { source.close(); source = null; }
    };
    const signInAgain = () => {
      stop();
      setStatus('offline', '');
      const here = location.pathname + location.search;
      const link = doc.createElement('a');
      link.href = `${status.dataset.loginPath || '/signin'}?returnUrl=${encodeURIComponent(here)}`;
      link.textContent = t('サインインし直してください', 'Please sign in again');
      link.dataset.signInAgain = '';
      status.append(link);
    };
    const schedule = () => {
      const delay = Math.min(maxDelay, baseDelay * 2 ** Math.min(failures, 10));
      failures += 1;
      // Jitter: between half and all of the delay.
      timer = setTimeout(connect, delay / 2 + Math.random() * (delay / 2));
    };
    // EventSource does not show the status it was refused with: a cheap authenticated read of the same policy tells
    // an ended session (401/403) from a refusal worth retrying.
    const closed = () => {
      if (source) { source.close(); source = null; }
      setStatus('offline', t('再接続中…', 'Reconnecting…'));
      check = new AbortController();
      fetch('/api/v1/catalog', { credentials: 'same-origin', cache: 'no-cache', redirect: 'manual', signal: check.signal })
        .then((r) => {
          check = null;
          if (r.status === 401 || r.status === 403 || r.type === 'opaqueredirect') { if (status) signInAgain(); else stop(); } else schedule();
        })
        .catch((err) => { if (err.name !== 'AbortError') { check = null; schedule(); } });
    };
    function connect() {
      timer = 0;
      first = true;
      source = new EventSource(url);
      source.addEventListener('open', () => { failures = 0; });
      source.addEventListener('nation', received(onNation));
      source.addEventListener('prefecture', received(onPrefecture));
      source.addEventListener('error', (e) => {
        if (e.target !== source) return;
        if (source.readyState === EventSource.CLOSED) closed();
        else setStatus('offline', t('再接続中…', 'Reconnecting…'));
      });
    }
    connect();
    window.addEventListener('pagehide', stop);
    // Back from the back/forward cache: the stream was closed on pagehide.
    window.addEventListener('pageshow', (e) => { if (e.persisted && !source && !timer) { failures = 0; connect(); } });
  }
})();
