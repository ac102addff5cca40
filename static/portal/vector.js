/* Portal units from vector tiles (Leaflet.VectorGrid, SVG tile renderer): styled in the browser
   from the view's class table (layers/vector_layer.py), tooltips built with textContent, click
   reports the unit's code to streamlit-folium like a GeoJSON feature would. Needs portal.js. */
(function () {
  "use strict";
  var ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

  function indexUrl(opts, done) {
    fetch(opts.indexUrl, {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (index) { done(index); })
      .catch(function () { done(null); });
  }

  /* Rank of each visible unit (feature index -> position in the tooltip value arrays). */
  function ranks(k) {
    var rank = new Int32Array(k.length), n = 0;
    for (var i = 0; i < k.length; i++) { rank[i] = k.charAt(i) === "." ? -1 : n++; }
    return rank;
  }

  /* Counts and percentages come as integers: write them as layers/styling.py format_value does. */
  function formatNumber(v, fmt) {
    if (v === null || v === undefined) { return null; }
    if (fmt === "pct2") {
      var sign = v < 0 ? "-" : "", a = Math.abs(v);
      return sign + Math.floor(a / 100) + "." + ("0" + (a % 100)).slice(-2) + " %";
    }
    return v.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  /* An integer with `dec` implied decimals, thousands grouped (layers/vector_layer.py _number_text). */
  function decimalText(n, dec) {
    var digits = String(n);
    if (dec <= 0) { return formatNumber(n, "int"); }
    while (digits.length < dec + 1) { digits = "0" + digits; }
    return formatNumber(Number(digits.slice(0, -dec)), "int") + "." + digits.slice(-dec);
  }

  function cell(field, r) {
    if (field.t) {   /* template around one number: [text before, decimals (-1: none), text after] */
      var ch = field.s.charAt(r);
      if (ch === ".") { return null; }
      var tpl = field.t[ALPHABET.indexOf(ch)];
      return tpl[1] < 0 ? tpl[0] : tpl[0] + decimalText(field.n[r], tpl[1]) + tpl[2];
    }
    if (field.n) { return formatNumber(field.n[r], field.fmt); }
    if (field.a) { return field.a[r]; }
    var c = field.s.charAt(r);
    return c === "." ? null : field.d[ALPHABET.indexOf(c)];
  }

  window.portalVectorUnits = function (opts) {
    var el = window.portal.el, table = opts.table, k = table.k, rank = ranks(k);
    var flagged = {};
    table.flags.forEach(function (i) { flagged[i] = true; });
    var index = null;
    indexUrl(opts, function (data) { index = data; });

    /* Outline weight by zoom: none when a unit is smaller than a few pixels, thin up to ~12 px. */
    function lineWeight(zoom, base) {
      var px = opts.unitPx0 * Math.pow(2, zoom);
      if (px < 4) { return 0; }
      if (px < 12) { return Math.min(base, 0.3); }
      return base;
    }

    function styleOf(i, zoom, hover) {
      var c = k.charAt(i);
      if (c === "." || c === "") { return []; }
      var cls = c === "-" ? opts.noData : opts.classes[ALPHABET.indexOf(c)];
      var isFlag = flagged[i], isSel = opts.selected === i;
      var weight = isFlag ? opts.flagWeight : (isSel ? opts.weight + 2 : lineWeight(zoom, opts.weight));
      return {
        fill: true, fillColor: cls.color, fillOpacity: opts.fillOpacity,
        stroke: weight > 0 || hover, color: isFlag ? opts.flagColor : (isSel ? opts.selectedColor : opts.line),
        weight: hover ? weight + 1.5 : weight, opacity: 0.95, dashArray: c === "-" ? "3 3" : null
      };
    }

    function tooltipContent(i) {
      var box = el("table", "portal-tooltip"), r = rank[i];
      table.fields.forEach(function (field) {
        var value = null;
        if (field.from === "name") { value = index ? index.names[i] : null; }
        else if (field.from === "code") { value = index ? index.codes[i] : null; }
        else { value = cell(field, r); }
        var tr = el("tr");
        tr.appendChild(el("th", null, field.label));
        tr.appendChild(el("td", null, value === null || value === undefined || value === "" ? "—" : value));
        box.appendChild(tr);
      });
      if (flagged[i] && opts.flagText) {
        var flag = el("tr", "portal-flag"), td = el("td", null, "⚠ " + opts.flagText);
        td.colSpan = 2;
        flag.appendChild(td);
        box.appendChild(flag);
      }
      return box;
    }

    var styles = {};
    styles[opts.layer] = function (properties, zoom) { return styleOf(properties.i, zoom, false); };
    var grid = L.vectorGrid.protobuf(opts.url, {
      rendererFactory: L.svg.tile, vectorTileLayerStyles: styles, interactive: true,
      getFeatureId: function (f) { return f.properties.i; }, maxNativeZoom: 16, maxZoom: 18,
      fetchOptions: {credentials: "same-origin"}
    });
    var tip = L.tooltip({sticky: true, direction: "auto"}), hovered = null;
    grid.on("mouseover", function (e) {
      var i = e.layer.properties.i, map = grid._map;
      hovered = i;
      grid.setFeatureStyle(i, styleOf(i, map.getZoom(), true));
      tip.setContent(tooltipContent(i)).setLatLng(e.latlng);
      map.openTooltip(tip);
    });
    grid.on("mousemove", function (e) { tip.setLatLng(e.latlng); });
    grid.on("mouseout", function (e) {
      hovered = null;
      grid.resetFeatureStyle(e.layer.properties.i);
      if (grid._map) { grid._map.closeTooltip(tip); }
    });
    /* streamlit-folium reads `e.layer.toGeoJSON()` of a clicked layer for last_active_drawing:
       give it the unit's code. Chromium delivers the pointerup of a click on a tile's SVG path to
       the map container, so Leaflet sees a map click, not a feature click: the unit under the
       pointer is the one last hovered, re-fired as a click on the grid. */
    function feature(i) {
      var code = index ? index.codes[i] : null;
      return {__portal: true, properties: {i: i}, toGeoJSON: function () {
        return {type: "Feature", properties: {code: code, i: i}, geometry: null};
      }};
    }
    /* The unit reported is the one the tooltip shows (last hovered); without hover (touch),
       the clicked path's. */
    grid.on("click", function (e) {
      if (e.layer && e.layer.properties && !e.layer.__portal) {
        var f = feature(hovered !== null ? hovered : e.layer.properties.i);
        e.layer.toGeoJSON = f.toGeoJSON;
      }
    });
    function onMapClick(e) {
      if (hovered !== null) { grid.fire("click", {latlng: e.latlng, layer: feature(hovered)}); }
    }
    grid.on("add", function () { grid._map.on("click", onMapClick); });
    grid.on("remove", function (e) { e.target._map && e.target._map.off("click", onMapClick); });

    var group = L.featureGroup([grid]);
    if (opts.legend) { group.addLayer(window.portal.legendLayer(opts.legend)); }
    if (opts.fit && opts.bounds) {
      group.on("add", function (e) {
        var map = e.target._map;
        map.invalidateSize(false);
        map.fitBounds(opts.bounds, {padding: [12, 12], animate: false});
      });
    }
    return group;
  };
})();
