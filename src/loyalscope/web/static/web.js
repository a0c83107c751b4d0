// Draw every chart of a dashboard: each element with data-chart="ID" gets the Plotly figure of
// that id from the analysis's figures (one cached JSON answer of this server, named by the
// data-figures attribute of #board). No other network access, no inline script.
(function () {
  function draw(figures) {
    document.querySelectorAll('[data-chart]').forEach(function (node) {
      var fig = figures[node.getAttribute('data-chart')];
      if (fig) {
        Plotly.newPlot(node, fig.data, fig.layout, {displaylogo: false, responsive: true});
      }
    });
  }
  function start() {
    var board = document.getElementById('board');
    if (board && board.getAttribute('data-figures')) {
      fetch(board.getAttribute('data-figures'), {credentials: 'same-origin'})
        .then(function (res) { return res.json(); })
        .then(draw);
    }
    // a queued or running analysis: reload its page until it has finished
    var pending = document.querySelector('[data-refresh]');
    if (pending) { setTimeout(function () { location.reload(); }, 2000); }
  }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); }
  else { start(); }
})();
