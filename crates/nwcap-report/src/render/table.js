"use strict";
// Sort a table by a column when its header is clicked (numbers by their
// data-v value, text alphabetically), and filter the largest flows by the
// text typed in the search box.
document.querySelectorAll("table.sortable").forEach(function (table) {
  var body = table.tBodies[0];
  table.querySelectorAll("th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var numeric = th.classList.contains("n");
      var asc = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach(function (o) { o.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var rows = Array.prototype.slice.call(body.rows);
      var key = function (row) {
        var cell = row.cells[col];
        if (!cell) { return numeric ? -Infinity : ""; }
        if (numeric) {
          var v = parseFloat(cell.getAttribute("data-v"));
          return isNaN(v) ? -Infinity : v;
        }
        return cell.textContent;
      };
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        var c = numeric ? (x === y ? 0 : (x < y ? -1 : 1)) : String(x).localeCompare(String(y));
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
var filter = document.getElementById("flow-filter");
if (filter) {
  filter.addEventListener("input", function () {
    var q = filter.value.trim().toLowerCase();
    var table = document.getElementById("largest");
    var shown = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var hit = q === "" || row.textContent.toLowerCase().indexOf(q) >= 0;
      row.hidden = !hit;
      if (hit) { shown += 1; }
    });
    document.getElementById("flow-count").textContent = String(shown);
  });
}
