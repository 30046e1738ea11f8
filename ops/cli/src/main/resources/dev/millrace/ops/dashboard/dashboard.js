// Millrace dashboard: polls /api/tasks/<task>/summary every 2 s and updates the charts in place.
(function () {
  'use strict';
  const task = document.body.dataset.task;
  const api = '/api/tasks/' + encodeURIComponent(task) + '/summary';
  const palette = ['#2563eb', '#16a34a', '#f59e0b', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d'];
  const decisionColour = { PROMOTED: '#16a34a', REJECTED: '#dc2626', FAILED: '#991b1b' };
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.size = 11;

  const $ = (id) => document.getElementById(id);
  const fmt = (n) => (n == null ? '-' : Number(n).toLocaleString('en-US'));
  const fixed = (n, d) => (n == null || isNaN(n) ? '-' : Number(n).toFixed(d));
  const time = (iso) => (iso ? new Date(iso).toLocaleTimeString('en-GB') : '-');
  const esc = (s) => String(s == null ? '' : s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));

  function chart(id, config) {
    return new Chart($(id), config);
  }

  const charts = {
    timeline: chart('chart-timeline', {
      type: 'line',
      data: { labels: [], datasets: [] },
      options: {
        interaction: { mode: 'index', intersect: false },
        scales: { y: { title: { display: true, text: 'metric' } } },
        plugins: { legend: { position: 'bottom' } },
      },
    }),
    loss: chart('chart-loss', {
      type: 'line',
      data: { labels: [], datasets: [] },
      options: {
        scales: { x: { title: { display: true, text: 'epoch' } }, y: { title: { display: true, text: 'loss' } } },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 10 } } },
      },
    }),
    throughput: chart('chart-throughput', {
      type: 'line',
      data: {
        labels: [],
        datasets: [
          { label: 'scores / s', data: [], borderColor: '#2563eb', backgroundColor: 'rgba(37,99,235,.15)', fill: true, pointRadius: 0, tension: 0.2 },
          { label: 'dead letters / s', data: [], borderColor: '#dc2626', pointRadius: 0, borderWidth: 1, yAxisID: 'y1' },
          { label: 'labels / s', data: [], borderColor: '#16a34a', pointRadius: 0, borderWidth: 1, yAxisID: 'y1' },
        ],
      },
      options: {
        scales: {
          x: { title: { display: true, text: 'seconds ago' }, ticks: { maxTicksLimit: 9 } },
          y: { beginAtZero: true },
          y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: 'dead letters, labels / s' } },
        },
        plugins: { legend: { position: 'bottom' } },
      },
    }),
    freshness: chart('chart-freshness', {
      type: 'line',
      data: {
        labels: [],
        datasets: [{ label: 'mean ms from scoring to readable (read_committed)', data: [], borderColor: '#7c3aed', pointRadius: 0, spanGaps: true }],
      },
      options: {
        scales: { x: { title: { display: true, text: 'seconds ago' }, ticks: { maxTicksLimit: 9 } }, y: { beginAtZero: true } },
        plugins: { legend: { position: 'bottom' } },
      },
    }),
    scores: chart('chart-scores', {
      type: 'bar',
      data: { labels: [], datasets: [] },
      options: {
        scales: { x: { title: { display: true, text: 'score' } }, y: { type: 'logarithmic', title: { display: true, text: 'fraction (log)' } } },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 10 } } },
      },
    }),
    drift: chart('chart-drift', {
      type: 'bar',
      data: { labels: [], datasets: [{ label: 'highest PSI requested', data: [], backgroundColor: '#a78bfa' }] },
      options: { indexAxis: 'y', scales: { x: { beginAtZero: true, title: { display: true, text: 'PSI' } } }, plugins: { legend: { display: false } } },
    }),
    dlq: chart('chart-dlq', {
      type: 'bar',
      data: { labels: [], datasets: [{ label: 'dead letters', data: [], backgroundColor: '#f87171' }] },
      options: { indexAxis: 'y', scales: { x: { beginAtZero: true } }, plugins: { legend: { display: false } } },
    }),
  };
  window.millraceCharts = charts; // for the browser test and the curious

  function setChart(c, labels, datasets) {
    c.data.labels = labels;
    c.data.datasets = datasets;
    c.update();
  }

  function metricName(s) {
    const run = s.runs.find((r) => r.promotionMetric);
    return run ? run.promotionMetric : 'average_precision';
  }

  function updateTimeline(s) {
    const metric = metricName(s);
    const runs = s.runs.filter((r) => r.challengerMetrics && r.challengerMetrics[metric] != null);
    const labels = runs.map((r) => r.version);
    const holdout = runs.map((r) => r.challengerMetrics[metric]);
    const champ = runs.map((r) => (r.championMetrics ? r.championMetrics[metric] : null));
    const base = runs.map((r) => r.baseline);
    const sets = [
      {
        label: 'challenger ' + metric + ' (holdout)',
        data: holdout,
        borderColor: '#2563eb',
        pointRadius: 6,
        // circle: promoted, cross: refused; a triangle marks an early (drift-triggered) run
        pointStyle: runs.map((r) => (r.decision !== 'PROMOTED' ? 'crossRot' : /^early/.test(r.trigger || '') ? 'triangle' : 'circle')),
        pointBackgroundColor: runs.map((r) => decisionColour[r.decision] || '#9ca3af'),
        pointBorderColor: runs.map((r) => decisionColour[r.decision] || '#9ca3af'),
        showLine: true,
      },
      { label: 'champion on the same slice', data: champ, borderColor: '#9ca3af', borderDash: [4, 4], pointRadius: 3 },
      { label: 'no-skill baseline', data: base, borderColor: '#f59e0b', borderDash: [2, 2], pointRadius: 0 },
    ];
    if (s.quality.available) {
      // The live metric closest to the promotion metric (the quality topic has AUC, AP, RMSE, RMSPE).
      const key = s.kind === 'regression'
        ? (metric.indexOf('rmspe') >= 0 ? 'rmspe' : 'rmse')
        : (metric.indexOf('auc') >= 0 ? 'auc' : 'averagePrecision');
      sets.push({
        label: 'live ' + key + ' (prequential)',
        data: labels.map((v) => (s.quality.byVersion[v] ? s.quality.byVersion[v][key] : null)),
        borderColor: '#7c3aed',
        pointRadius: 5,
        showLine: false,
      });
    }
    setChart(charts.timeline, labels, sets);
  }

  function updateLoss(s) {
    const runs = s.runs.filter((r) => r.epochLosses && r.epochLosses.length).slice(-8);
    const epochs = Math.max(0, ...runs.map((r) => r.epochLosses.length));
    setChart(
      charts.loss,
      Array.from({ length: epochs }, (_, i) => i + 1),
      runs.map((r, i) => ({
        label: r.version + ' (' + r.decision.toLowerCase() + ')',
        data: r.epochLosses,
        borderColor: palette[i % palette.length],
        pointRadius: 2,
        borderWidth: 1.5,
      }))
    );
  }

  function updateThroughput(s) {
    const t = s.throughput;
    charts.throughput.data.labels = t.secondsAgo;
    charts.throughput.data.datasets[0].data = t.scores;
    charts.throughput.data.datasets[1].data = t.deadLetters;
    charts.throughput.data.datasets[2].data = t.labels;
    charts.throughput.update();
    charts.freshness.data.labels = t.secondsAgo;
    charts.freshness.data.datasets[0].data = t.visibleAfterMs;
    charts.freshness.update();
  }

  function updateScores(s) {
    const h = s.scoreHistogram;
    const versions = Object.keys(h.fractionsByVersion);
    setChart(
      charts.scores,
      h.bins.map((b) => (h.scale === 'log' ? compact(b) : b.toFixed(2))),
      versions.map((v, i) => ({
        label: v,
        data: h.fractionsByVersion[v].map((f) => (f > 0 ? f : null)),
        backgroundColor: palette[i % palette.length],
      }))
    );
  }

  // 0, 0.78, 2.2, 4.6, ... 1.8k, 3.2k, ... 1.0M: a lower bin edge of predicted values
  function compact(v) {
    if (v >= 1e6) return (v / 1e6).toPrecision(2) + 'M';
    if (v >= 1e3) return (v / 1e3).toPrecision(2) + 'k';
    return v < 10 ? v.toFixed(v === 0 ? 0 : 2) : v.toFixed(0);
  }

  function updateDlq(s) {
    const reasons = Object.keys(s.deadLettersByReason);
    charts.dlq.data.labels = reasons;
    charts.dlq.data.datasets[0].data = reasons.map((r) => s.deadLettersByReason[r]);
    charts.dlq.update();
  }

  // Counts (rows, positives, prevalence) have their own column; quality metrics with 3 decimals.
  const countKeys = ['rows', 'positives', 'prevalence'];
  function short(s, n) {
    s = s == null ? '' : String(s);
    return s.length > n ? s.slice(0, n - 1) + '\u2026' : s;
  }

  function metricsText(m) {
    if (!m) return '-';
    return Object.keys(m)
      .filter((k) => countKeys.indexOf(k) < 0)
      .sort()
      .map((k) => k + '=' + fixed(m[k], 3))
      .join(' ');
  }

  // "(gap 7d, 12 known-positive rows out)" under a run's row counts
  function gapText(r) {
    if (r.evalGapMillis == null) return '';
    const h = r.evalGapMillis / 3600000;
    const gap = h >= 24 ? fixed(h / 24, h % 24 === 0 ? 0 : 1) + 'd' : fixed(h, h % 1 === 0 ? 0 : 1) + 'h';
    return '<br><span class="muted nowrap">gap ' + gap + (r.knownPositiveRowsRemoved ? ', ' + fmt(r.knownPositiveRowsRemoved) + ' known-positive rows out' : '') + '</span>';
  }

  function updateTables(s) {
    $('decisions').tBodies[0].innerHTML = s.runs
      .slice()
      .reverse()
      .map(
        (r) =>
          '<tr><td class="nowrap">' + time(r.finishedAt) + '</td><td class="mono nowrap">' + esc(r.version) + '</td><td title="' + esc(r.trigger) + '">' + esc(short(r.trigger, 48)) + '</td><td class="nowrap ' + esc(r.decision) + '">' + esc(r.decision) +
          '</td><td class="mono">' + esc(metricsText(r.challengerMetrics)) + '</td><td><span class="mono nowrap">' + esc(r.championVersion || '-') + '</span><br><span class="mono">' +
          esc(r.championVersion ? metricsText(r.championMetrics) : '') + '</span></td><td class="mono interval">' + esc(r.interval || '-') + '</td><td>' + fmt(r.trainRows) + ' / ' + fmt(r.evalRows) + gapText(r) + '</td><td>' + esc(r.device) +
          '</td><td>' + esc(r.reason) + '</td></tr>'
      )
      .join('') || '<tr><td colspan="10" class="muted">no training run yet</td></tr>';
    $('dlq-samples').tBodies[0].innerHTML = s.deadLetterSamples
      .map(
        (d) =>
          '<tr><td>' + time(d.rejectedAt) + '</td><td><span class="mono">' + esc(d.reasonCode) + '</span> ' + esc(d.reason) + '</td><td>' + esc(d.stage) +
          '</td><td class="mono">' + esc(d.sourceTopic || '-') + (d.sourcePartition != null ? '[' + d.sourcePartition + ']' : '') +
          '</td><td class="mono">' + (d.sourceOffset != null ? d.sourceOffset : '-') + '</td></tr>'
      )
      .join('') || '<tr><td colspan="5" class="muted">no dead letters</td></tr>';
    const q = s.quality;
    $('quality').className = q.available ? '' : 'muted';
    const regression = s.kind === 'regression';
    $('quality').innerHTML = q.available
      ? '<table><thead><tr><th>version</th><th>examples</th>' +
        (regression ? '<th>RMSE</th><th>RMSPE</th>' : '<th>positives</th><th>AUC</th><th>AP</th><th>RMSE</th>') + '</tr></thead><tbody>' +
        Object.keys(q.byVersion)
          .map((v) => {
            const r = q.byVersion[v];
            return '<tr><td class="mono nowrap">' + esc(v) + '</td><td>' + fmt(r.examples) + '</td>' +
              (regression
                ? '<td>' + fixed(r.rmse, 1) + '</td><td>' + fixed(r.rmspe, 4) + '</td>'
                : '<td>' + fmt(r.positives) + '</td><td>' + fixed(r.auc, 3) + '</td><td>' + fixed(r.averagePrecision, 3) + '</td><td>' + fixed(r.rmse, 3) + '</td>') +
              '</tr>';
          })
          .join('') + '</tbody></table>'
      : 'not available: ' + esc(q.note);
    const d = s.drift;
    $('drift').className = d.available ? '' : 'muted';
    $('drift').innerHTML = d.available
      ? '<table><thead><tr><th>requested</th><th>feature</th><th>PSI</th><th>model in use</th></tr></thead><tbody>' +
        d.requests
          .slice(0, 5)
          .map((r) => '<tr title="' + esc(r.reason) + '"><td>' + time(r.requestedAt) + '</td><td class="mono">' + esc(r.feature) + '</td><td>' + fixed(r.psi, 3) +
            '</td><td class="mono nowrap">' + esc(r.modelVersion) + '</td></tr>')
          .join('') + '</tbody></table>' +
        (d.requests.length > 5 ? '<div class="muted">+' + (d.requests.length - 5) + ' earlier</div>' : '')
      : 'not available: ' + esc(d.note);
    const maxPsi = {};
    d.requests.forEach((r) => { maxPsi[r.feature] = Math.max(maxPsi[r.feature] || 0, r.psi); });
    charts.drift.data.labels = Object.keys(maxPsi);
    charts.drift.data.datasets[0].data = Object.values(maxPsi);
    charts.drift.update();
  }

  function render(s) {
    $('model-version').textContent = s.modelInUse || 'none yet';
    // Scores no model made say so: the newest one's reason, and the counts by reason.
    const alert = $('fallback-alert');
    const byReason = s.fallbackScoresByReason || {};
    const failing = s.modelInUseFallbackReason && s.modelInUseFallbackReason !== 'NO_MODEL';
    alert.hidden = !s.modelInUseFallbackReason;
    alert.className = 'fallback-alert' + (failing ? ' failing' : '');
    alert.textContent = s.modelInUseFallbackReason
      ? (failing ? 'model failing: ' : 'not a model\'s score: ') + s.modelInUseFallbackReason +
        ' (fallback scores: ' + Object.entries(byReason).map(([r, n]) => r + ' ' + fmt(n)).join(', ') + ')'
      : '';
    $('scores').textContent = fmt(s.scores);
    $('rate').textContent = fmt(Math.round(s.scoresPerSecond));
    $('dlq').textContent = fmt(s.deadLetters);
    $('champion').textContent = s.champion || 'none';
    $('runs').textContent = fmt(s.runs.length);
    updateTimeline(s);
    updateLoss(s);
    updateThroughput(s);
    updateScores(s);
    updateDlq(s);
    updateTables(s);
    $('updated').textContent = 'updated ' + time(s.generatedAt);
    document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
  }

  async function poll() {
    try {
      const r = await fetch(api, { cache: 'no-store' });
      if (!r.ok) throw new Error('HTTP ' + r.status);
      render(await r.json());
    } catch (e) {
      $('updated').textContent = 'dashboard unreachable (' + e.message + '), retrying ...';
    } finally {
      setTimeout(poll, 2000);
    }
  }
  poll();
})();
