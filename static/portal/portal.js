/* Portal map layers: units styled per feature, tooltips and legends built with textContent
   (names from data never reach innerHTML). Loaded by every map page from the portal's static folder. */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function swatch(color, dashed) {
    var box = el("span", "portal-swatch" + (dashed ? " portal-swatch-nodata" : ""));
    box.style.background = color;
    return box;
  }

  /* A map control that is a Layer, so removing its feature group also removes it. `build`
     returns the control's element. Shared with sites.js through window.portal. */
  var ControlLayer = L.Layer.extend({
    initialize: function (position, build) { this._position = position; this._build = build; },
    onAdd: function (map) {
      var build = this._build;
      var control = L.control({position: this._position});
      control.onAdd = function () {
        var div = build();
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      };
      this._control = control.addTo(map);
    },
    onRemove: function (map) { map.removeControl(this._control); }
  });

  function legendLayer(spec) {
    return new ControlLayer(spec.position || "bottomright", function () {
      var div = el("div", "portal-legend");
      div.appendChild(el("div", "portal-legend-title", spec.title));
      spec.items.forEach(function (item) {
        var row = el("div", "portal-legend-row");
        row.appendChild(swatch(item.color, item.nodata));
        row.appendChild(el("span", null, item.label));
        div.appendChild(row);
      });
      return div;
    });
  }

  window.portal = {el: el, ControlLayer: ControlLayer, legendLayer: legendLayer};

  function tooltipContent(feature, opts) {
    var table = el("table", "portal-tooltip");
    var values = feature.properties.v || [];
    opts.fields.forEach(function (label, i) {
      var tr = el("tr");
      tr.appendChild(el("th", null, label));
      tr.appendChild(el("td", null, values[i] === null || values[i] === undefined ? "—" : values[i]));
      table.appendChild(tr);
    });
    if (feature.properties.f && opts.flagText) {
      var flag = el("tr", "portal-flag");
      var cell = el("td", null, "⚠ " + opts.flagText);
      cell.colSpan = 2;
      flag.appendChild(cell);
      table.appendChild(flag);
    }
    return table;
  }

  function styleFor(feature, opts, hover) {
    var p = feature.properties;
    var cls = p.k >= 0 ? opts.classes[p.k] : opts.noData;
    var selected = opts.selected && p.code === opts.selected;
    var weight = p.f ? opts.flagWeight : (selected ? opts.weight + 2 : opts.weight);
    return {
      fillColor: cls.color,
      fillOpacity: opts.fillOpacity,
      color: p.f ? opts.flagColor : (selected ? opts.selectedColor : opts.line),
      weight: hover ? weight + 1.5 : weight,
      dashArray: p.k >= 0 ? null : "3 3",
      opacity: 0.95
    };
  }

  window.portalUnits = function (data, opts) {
    var group = L.featureGroup();
    var units = L.geoJSON(data, {
      style: function (f) { return styleFor(f, opts, false); },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(function () { return tooltipContent(f, opts); }, {sticky: true});
        layer.on("mouseover", function () { layer.setStyle(styleFor(f, opts, true)); });
        layer.on("mouseout", function () { layer.setStyle(styleFor(f, opts, false)); });
      }
    });
    group.addLayer(units);
    if (opts.legend) { group.addLayer(legendLayer(opts.legend)); }
    if (opts.fit) {
      /* Fit the map to this layer whenever it is (re)added: a new view is a new layer, while
         reruns that do not change the view leave the layer, and the user's pan/zoom, alone. */
      group.on("add", function (e) {
        var map = e.target._map, bounds = units.getBounds();
        if (!bounds.isValid()) { return; }
        map.invalidateSize(false);  /* the iframe may have been resized since the map was made */
        map.fitBounds(bounds, {padding: [12, 12], animate: false});
      });
    }
    return group;
  };
})();
