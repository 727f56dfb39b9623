// Appended to a copy of an HTML report by test_reports.sh and run by headless Chromium
// (--dump-dom): reads the rendered DOM back and leaves what it found, as JSON, in a
// pre element with the id sluice-check. Layout is forced (getBoundingClientRect), so a bar that does not
// render with a width fails the test.
(function () {
  var bars = Array.prototype.slice.call(document.querySelectorAll('svg.gantt g.bar'));
  var t = document.getElementById('totals');
  var out = {
    bars: bars.map(function (g) {
      var r = g.querySelector('rect.b').getBoundingClientRect();
      return { stage: g.dataset.stage, critical: g.dataset.critical === '1', crit_class: g.classList.contains('crit'),
               width: r.width, height: r.height, lane: +g.dataset.lane, phases: g.querySelectorAll('rect.ph').length };
    }),
    rows: document.querySelectorAll('#stages-table tbody tr').length,
    llm_rows: document.querySelectorAll('#llm-table tbody tr').length,
    budget_rows: document.querySelectorAll('#budget-table tr.budget').length,
    notify: Array.prototype.slice.call(document.querySelectorAll('#notify-table tbody tr')).map(function (r) {
      return r.dataset.outcome;
    }),
    compare: !!document.getElementById('compare-summary'),
    whatif: document.getElementById('whatif') ? Object.assign({}, document.getElementById('whatif').dataset) : null,
    totals: Object.assign({}, t.dataset),
    scripts_external: document.querySelectorAll('script[src], link[rel=stylesheet]').length,
    ms: performance.now()
  };
  var pre = document.createElement('pre');
  pre.id = 'sluice-check';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
