// Draws the report's charts as SVG from the JSON embedded in the page. Hand-written and inlined: the
// report opens from a file with no network, so there is no library to load.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("report-data").textContent);

  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) {
      node.setAttribute(k, attrs[k]);
    });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function titled(node, text) {
    // A <title> child is what screen readers and hover tooltips read for an SVG mark.
    node.appendChild(el("title", {}, text));
    node.setAttribute("aria-label", text);
    return node;
  }

  function num(value, digits) {
    if (value === null || value === undefined) return "—";
    return value.toLocaleString("vi-VN", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  function pct(value) {
    return value === null || value === undefined ? "—" : num(value * 100, 1) + " %";
  }

  // Red at 0, yellow at half, green at full marks: the workbook's colour scale.
  function colour(ratio) {
    var r = Math.max(0, Math.min(1, ratio === null ? 0 : ratio));
    return "hsl(" + Math.round(r * 120) + ", 62%, 44%)";
  }

  function svgRoot(width, height, label) {
    var svg = el("svg", {
      viewBox: "0 0 " + width + " " + height,
      width: "100%",
      role: "img",
      "aria-label": label,
      preserveAspectRatio: "xMinYMin meet",
    });
    svg.appendChild(el("title", {}, label));
    return svg;
  }

  function rankingChart(level) {
    var section = document.createElement("section");
    section.className = "chart ranking";
    section.setAttribute("data-level", level.level);
    var heading = document.createElement("h3");
    heading.textContent = "Cấp " + level.label + " — " + level.units.length + " đơn vị được xếp hạng";
    section.appendChild(heading);
    if (!level.units.length) {
      var empty = document.createElement("p");
      empty.className = "empty";
      empty.textContent =
        "Không có đơn vị cấp " + level.label + " còn hiệu lực có số liệu trong tháng " + data.monthLabel + ".";
      section.appendChild(empty);
      return section;
    }
    var row = 22, labelWidth = 380, barWidth = 420, width = labelWidth + barWidth + 90;
    var height = level.units.length * row + 24;
    var label = "Xếp hạng chỉ số 766 cấp " + level.label + ", tháng " + data.monthLabel;
    var svg = svgRoot(width, height, label);
    svg.setAttribute("role", "list");
    [0, 0.5, 1].forEach(function (t) {
      var x = labelWidth + t * barWidth;
      svg.appendChild(el("line", { x1: x, x2: x, y1: 0, y2: height - 18, class: "grid" }));
      svg.appendChild(el("text", { x: x, y: height - 4, class: "axis", "text-anchor": "middle" }, t * 100 + " %"));
    });
    level.units.forEach(function (u, i) {
      var y = i * row;
      var g = el("g", { role: "listitem", class: "bar-row" });
      // The code beside the name: after the 2025 reorganisation two units may share a name.
      var name = u.rank + ". " + u.name + " (" + u.code + ")";
      titled(g, name + ": " + pct(u.score) + " (" + num(u.total, 2) + "/" + num(u.covered, 0) + " điểm)");
      g.appendChild(el("text", { x: labelWidth - 8, y: y + row / 2 + 4, "text-anchor": "end", class: "label" }, name));
      g.appendChild(
        el("rect", {
          class: "bar",
          "data-unit": u.code,
          x: labelWidth,
          y: y + 3,
          height: row - 6,
          width: Math.max(0, (u.score || 0) * barWidth),
          fill: colour(u.score),
        })
      );
      g.appendChild(
        el("text", { x: labelWidth + (u.score || 0) * barWidth + 6, y: y + row / 2 + 4, class: "value" }, pct(u.score))
      );
      svg.appendChild(g);
    });
    section.appendChild(svg);
    return section;
  }

  function trendChart(container, code) {
    container.textContent = "";
    var width = 900, height = 330, left = 48, right = 32, top = 16, bottom = 48;
    var plotW = width - left - right, plotH = height - top - bottom;
    var n = data.months.length;
    var unit = data.trend[code];
    var label =
      "Tổng điểm 766 theo tháng, " + n + " tháng đến " + data.monthLabel + ": " + data.province.name +
      (code !== data.province.code && unit ? " và " + unit.name : "");
    var svg = svgRoot(width, height, label);
    function x(i) {
      return left + (n === 1 ? plotW / 2 : (i * plotW) / (n - 1));
    }
    function y(v) {
      return top + plotH - (v / 100) * plotH;
    }
    [0, 25, 50, 75, 100].forEach(function (v) {
      svg.appendChild(el("line", { x1: left, x2: width - right, y1: y(v), y2: y(v), class: "grid" }));
      svg.appendChild(el("text", { x: left - 6, y: y(v) + 4, "text-anchor": "end", class: "axis" }, v));
    });
    data.monthLabels.forEach(function (m, i) {
      if (i % 3 === (n - 1) % 3) {
        svg.appendChild(el("text", { x: x(i), y: height - bottom + 18, "text-anchor": "middle", class: "axis" }, m));
      }
    });
    svg.appendChild(el("text", { x: 4, y: top - 4, class: "axis" }, "điểm"));
    var series = [{ key: "province", code: data.province.code }];
    if (code !== data.province.code && unit) series.push({ key: "unit", code: code });
    series.forEach(function (s) {
      var entry = data.trend[s.code];
      if (!entry) return;
      var g = el("g", { class: "series series-" + s.key, "data-unit": s.code });
      titled(g, entry.name);
      var d = "", pen = "M";
      entry.points.forEach(function (v, i) {
        // A month without a row (the unit had no records then) breaks the line rather than bridging it.
        if (v === null) {
          pen = "M";
          return;
        }
        d += pen + x(i).toFixed(1) + " " + y(v).toFixed(1) + " ";
        pen = "L";
      });
      g.appendChild(el("path", { d: d.trim(), class: "line" }));
      entry.points.forEach(function (v, i) {
        if (v === null) return;
        var dot = el("circle", { class: "point", cx: x(i), cy: y(v), r: 3.5, "data-month": data.months[i] });
        titled(
          dot,
          entry.name + ", " + data.monthLabels[i] + ": " + num(v, 2) + " điểm (tối đa được tính " +
            num(entry.covered[i], 0) + ")"
        );
        g.appendChild(dot);
      });
      svg.appendChild(g);
    });
    container.appendChild(svg);
    var legend = document.createElement("p");
    legend.className = "legend";
    series.forEach(function (s) {
      var item = document.createElement("span");
      item.className = "key key-" + s.key;
      item.textContent = data.trend[s.code] ? data.trend[s.code].name : s.code;
      legend.appendChild(item);
    });
    container.appendChild(legend);
  }

  function groupChart(container, code) {
    container.textContent = "";
    var series = [{ key: "province", code: data.province.code }];
    if (code !== data.province.code) series.push({ key: "unit", code: code });
    var rowH = 16 * series.length + 14, labelWidth = 230, barWidth = 520, width = labelWidth + barWidth + 120;
    var height = data.groups.length * rowH + 8;
    var names = series.map(function (s) {
      return (data.unitNames[s.code] || s.code);
    });
    var svg = svgRoot(width, height, "Điểm 6 nhóm chỉ số 766, tháng " + data.monthLabel + ": " + names.join(", "));
    data.groups.forEach(function (grp, gi) {
      var y0 = gi * rowH + 4;
      svg.appendChild(el("text", { x: labelWidth - 8, y: y0 + 14, "text-anchor": "end", class: "label" },
        grp.label + " (" + grp.max + ")"));
      series.forEach(function (s, si) {
        var points = data.unitGroups[s.code] ? data.unitGroups[s.code][gi] : null;
        var y = y0 + si * 16;
        svg.appendChild(el("rect", { class: "track", x: labelWidth, y: y + 2, width: barWidth, height: 12 }));
        var seg = el("rect", {
          class: "segment segment-" + s.key,
          "data-group": grp.key,
          "data-unit": s.code,
          x: labelWidth,
          y: y + 2,
          height: 12,
          width: points === null ? 0 : (points / grp.max) * barWidth,
        });
        var text = points === null ? "không áp dụng" : num(points, 2) + " / " + grp.max;
        titled(seg, names[si] + " — " + grp.label + ": " + text);
        svg.appendChild(seg);
        svg.appendChild(el("text", { x: labelWidth + barWidth + 6, y: y + 12, class: "value" }, text));
      });
    });
    container.appendChild(svg);
    var legend = document.createElement("p");
    legend.className = "legend";
    series.forEach(function (s, si) {
      var item = document.createElement("span");
      item.className = "key key-" + s.key;
      item.textContent = names[si] + (data.unitGroups[s.code] ? "" : " (không có số liệu tháng " + data.monthLabel + ")");
      legend.appendChild(item);
    });
    container.appendChild(legend);
  }

  function selectedUnit() {
    var match = /unit=([^&]+)/.exec(window.location.hash);
    var code = match ? decodeURIComponent(match[1]) : data.defaultUnit;
    return data.trend[code] ? code : data.defaultUnit;
  }

  function drawUnit(code) {
    trendChart(document.getElementById("trend-chart"), code);
    groupChart(document.getElementById("group-chart"), code);
  }

  try {
    var rankings = document.getElementById("ranking-charts");
    data.levels.forEach(function (level) {
      rankings.appendChild(rankingChart(level));
    });
    var select = document.getElementById("unit-select");
    var current = selectedUnit();
    data.levels.forEach(function (level) {
      var group = document.createElement("optgroup");
      group.label = "Cấp " + level.label;
      data.selectable[level.level].forEach(function (code) {
        var option = document.createElement("option");
        option.value = code;
        // A ceased unit's history stays selectable, named as what it is (METRICS.md §5).
        option.textContent =
          data.trend[code].name + " (" + code + ")" + (data.trend[code].inForce ? "" : " — đã kết thúc hoạt động");
        option.selected = code === current;
        group.appendChild(option);
      });
      if (group.children.length) select.appendChild(group);
    });
    select.addEventListener("change", function () {
      window.location.hash = "unit=" + encodeURIComponent(select.value);
      drawUnit(select.value);
    });
    drawUnit(current);
    document.documentElement.setAttribute("data-charts", "drawn");
  } catch (err) {
    document.getElementById("report-error").textContent = "Không vẽ được biểu đồ: " + err;
    document.documentElement.setAttribute("data-charts", "error");
  }
})();
