// Draw the charts of a page. A dashboard names its figures' address in #board[data-figures]
// (one cached JSON answer of this server, chart id -> figure) and each chart element carries
// data-chart="ID"; a page with one small chart holds it in <script type="application/json"
// data-chart="ID"> (data, never executed). No other network access, no inline script.
(function () {
  function plot(id, fig) {
    var node = document.getElementById(id);
    if (node && fig) {
      Plotly.newPlot(node, fig.data, fig.layout, {displaylogo: false, responsive: true});
    }
  }
  function start() {
    document.querySelectorAll('script[type="application/json"][data-chart]').forEach(function (node) {
      plot(node.getAttribute('data-chart'), JSON.parse(node.textContent));
    });
    var board = document.getElementById('board');
    if (board && board.getAttribute('data-figures')) {
      fetch(board.getAttribute('data-figures'), {credentials: 'same-origin'})
        .then(function (res) { return res.json(); })
        .then(function (figures) {
          document.querySelectorAll('div[data-chart]').forEach(function (node) {
            plot(node.id, figures[node.getAttribute('data-chart')]);
          });
        });
    }
    // a queued or running analysis: reload its page until it has finished
    var pending = document.querySelector('[data-refresh]');
    if (pending) { setTimeout(function () { location.reload(); }, 2000); }
  }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); }
  else { start(); }
})();
