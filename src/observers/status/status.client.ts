/**
 * The page's script, inlined under the response's nonce: it follows `events` (resuming after the
 * id the server rendered) and updates the rows it names. Everything it writes goes through
 * `textContent`, and rows are found by attribute comparison, never by a selector built from a name.
 */
export const STATUS_SCRIPT = `(function () {
  'use strict';
  var LEVEL = { pass: '\\u2713 passing', degraded: '! degraded', fail: '\\u2717 failing', pending: '\\u2026 not run yet' };
  var main = document.getElementById('main');
  var live = document.getElementById('live');
  var rows = new Map();
  Array.prototype.forEach.call(document.querySelectorAll('tr[data-key]'), function (tr) { rows.set(tr.getAttribute('data-key'), tr); });
  function time(ms) { return typeof ms === 'number' ? new Date(ms).toISOString().slice(0, 19) + 'Z' : '\\u2014'; }
  function setLevel(el, level) { el.textContent = LEVEL[level] || String(level); el.className = 'level ' + (LEVEL[level] ? level : 'pending'); }
  function cell(tr, col) {
    var found = null;
    Array.prototype.forEach.call(tr.children, function (td) { if (td.getAttribute('data-col') === col) found = td; });
    return found;
  }
  function newRow(row) {
    var table = null;
    Array.prototype.forEach.call(document.querySelectorAll('table[data-probe]'), function (t) { if (t.getAttribute('data-probe') === row.probe) table = t; });
    if (!table) return null;
    var tr = document.createElement('tr');
    tr.setAttribute('data-key', row.probe + '/' + row.check);
    var th = document.createElement('th'); th.setAttribute('scope', 'row'); th.textContent = row.check; tr.appendChild(th);
    ['level', 'critical', 'duration', 'streak', 'since', 'message', 'timeline'].forEach(function (col) {
      var td = document.createElement('td'); td.setAttribute('data-col', col);
      if (col === 'level') td.appendChild(document.createElement('span'));
      if (col === 'timeline') { var ol = document.createElement('ol'); ol.className = 'timeline'; td.appendChild(ol); }
      tr.appendChild(td);
    });
    table.tBodies[0].appendChild(tr);
    rows.set(row.probe + '/' + row.check, tr);
    return tr;
  }
  function fill(row) {
    var tr = rows.get(row.probe + '/' + row.check) || newRow(row);
    if (!tr) return;
    setLevel(cell(tr, 'level').firstElementChild, row.level);
    cell(tr, 'critical').textContent = row.critical ? 'critical' : 'non-critical';
    cell(tr, 'duration').textContent = typeof row.durationMs === 'number' ? Math.round(row.durationMs) + ' ms' : '\\u2014';
    cell(tr, 'streak').textContent = String(row.streak);
    cell(tr, 'since').textContent = time(row.since);
    cell(tr, 'message').textContent = row.message || '';
    var ol = cell(tr, 'timeline').firstElementChild;
    ol.textContent = '';
    (row.timeline || []).forEach(function (step) {
      var li = document.createElement('li');
      var at = document.createElement('time');
      at.setAttribute('datetime', time(step.time));
      at.textContent = time(step.time).slice(11);
      li.appendChild(at);
      li.appendChild(document.createTextNode(' ' + (step.from || '\\u2014') + ' \\u2192 ' + (step.to || '\\u2014')));
      ol.appendChild(li);
    });
  }
  function on(type, handle) { source.addEventListener(type, function (event) { handle(JSON.parse(event.data)); }); }
  var source = new EventSource('events?since=' + encodeURIComponent(main.getAttribute('data-last-id') || '0'));
  source.onopen = function () { live.textContent = 'Live: updates as checks change.'; };
  source.onerror = function () { live.textContent = 'Reconnecting to live updates\\u2026'; };
  on('check', function (data) { if (data.row) fill(data.row); });
  on('probe', function (data) {
    Array.prototype.forEach.call(document.querySelectorAll('[data-probe-level]'), function (el) {
      if (el.getAttribute('data-probe-level') === data.probe) setLevel(el, data.to);
    });
  });
  on('rotation', function (data) { document.getElementById('rotation').textContent = data.inRotation ? 'In rotation' : 'Out of rotation'; });
  function measure(key, ms) {
    Array.prototype.forEach.call(document.querySelectorAll('tr[data-main]'), function (tr) {
      if (tr.getAttribute('data-main') !== key || typeof ms !== 'number') return;
      cell(tr, 'value').textContent = Math.round(ms) + ' ms';
      setLevel(cell(tr, 'level').firstElementChild, ms <= Number(cell(tr, 'limit').getAttribute('data-limit')) ? 'pass' : 'fail');
    });
  }
  on('mainthread', function (data) { measure('lag', data.lagMs); measure('stall', data.stalledMs); });
  on('shutdown', function () { document.getElementById('rotation').textContent = 'Shutting down'; source.close(); live.textContent = 'The instance is shutting down.'; });
})();`;
