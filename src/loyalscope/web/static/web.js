// Draw every chart of the page: each <script type="application/json" data-chart="ID"> holds a
// Plotly figure ({data, layout}) for the element with that id. No network access.
(function () {
  function draw() {
    document.querySelectorAll('script[type="application/json"][data-chart]').forEach(function (node) {
      var fig = JSON.parse(node.textContent);
      Plotly.newPlot(node.getAttribute('data-chart'), fig.data, fig.layout,
                     {displaylogo: false, responsive: true});
    });
    // a queued or running analysis: reload its page until it has finished
    var pending = document.querySelector('[data-refresh]');
    if (pending) { setTimeout(function () { location.reload(); }, 2000); }
  }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', draw); }
  else { draw(); }
})();
