// Charts of /mediation/stats: reads /mediation/stats.json (the URL is in
// data-stats-url) and draws a bar chart by dispute type and a line chart
// by month with the vendored ECharts. No inline script (CSP).
(function () {
  'use strict';
  function draw(el, data) {
    if (!window.echarts) { return; }
    el.style.height = '340px';
    el.style.marginBottom = '1.5rem';
    var chart = window.echarts.init(el);
    var kind = el.getAttribute('data-chart');
    var items = kind === 'months' ? data.months : data.types;
    var names = items.map(function (x) { return x.name; });
    var series = [
      { name: '受理', type: kind === 'months' ? 'line' : 'bar', data: items.map(function (x) { return x.accepted; }) },
      { name: '调解成功', type: kind === 'months' ? 'line' : 'bar', data: items.map(function (x) { return x.succeeded; }) },
      { name: '调解终止', type: kind === 'months' ? 'line' : 'bar', data: items.map(function (x) { return x.failed; }) }
    ];
    chart.setOption({
      title: { text: (kind === 'months' ? '按月趋势' : '按纠纷类型') + '（' + data.period + '）', left: 'center', top: 0, textStyle: { fontSize: 14 } },
      tooltip: { trigger: 'axis' },
      legend: { top: 30 },
      grid: { top: 70, left: 40, right: 20, bottom: kind === 'months' ? 30 : 90 },
      xAxis: { type: 'category', data: names, axisLabel: { rotate: kind === 'months' ? 0 : 40, interval: 0 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: series
    });
    window.addEventListener('resize', function () { chart.resize(); });
  }
  // Show only the inputs of the chosen period kind.
  function periodFields() {
    var sel = document.getElementById('s-period');
    if (!sel) { return; }
    var show = { month: ['s-month'], quarter: ['s-quarter'], year: ['s-year'], custom: ['s-from', 's-to'] };
    function apply() {
      ['s-month', 's-quarter', 's-year', 's-from', 's-to'].forEach(function (id) {
        var el = document.getElementById(id);
        if (el && el.parentNode) { el.parentNode.hidden = (show[sel.value] || []).indexOf(id) < 0; }
      });
    }
    sel.addEventListener('change', apply);
    apply();
  }
  function init() {
    periodFields();
    var els = document.querySelectorAll('[data-stats-url]');
    if (!els.length) { return; }
    var url = els[0].getAttribute('data-stats-url');
    fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        els.forEach(function (el) { draw(el, data); });
      });
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
