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

  function swatch(item) {
    var box = el("span", "portal-swatch" + (item.nodata ? " portal-swatch-nodata" : "")
                 + (item.outline ? " portal-swatch-outline" : ""));
    if (item.outline) { box.style.borderColor = item.color; } else { box.style.background = item.color; }
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
    /* top right: visible without scrolling on a laptop screen (the bottom of the map may be
       below the fold) */
    return new ControlLayer(spec.position || "topright", function () {
      var div = el("div", "portal-legend");
      div.appendChild(el("div", "portal-legend-title", spec.title));
      spec.items.forEach(function (item) {
        var row = el("div", "portal-legend-row");
        row.appendChild(swatch(item));
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
    var f = feature.properties.f;
    if (f && (opts.flagText || typeof f === "string")) {
      var flag = el("tr", "portal-flag");
      var cell = el("td", null, "⚠ " + (typeof f === "string" ? f : opts.flagText));
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
      fillOpacity: cls.opacity !== undefined ? cls.opacity : opts.fillOpacity,
      color: p.f ? opts.flagColor : (selected ? opts.selectedColor : opts.line),
      weight: hover ? weight + 1.5 : weight,
      dashArray: p.k >= 0 ? null : "3 3",
      opacity: 0.95
    };
  }

  /* Unit names drawn where they fit: a name is placed at its polygon's inside point when its
     box is narrower than the polygon on screen and overlaps no name placed before it (larger
     units first). Redrawn after every zoom or pan, so more names appear as the user zooms in. */
  var NameLayer = L.Layer.extend({
    initialize: function (units) { this._units = units; },
    onAdd: function (map) {
      this._map = map;
      if (!map.getPane("portalNames")) {
        var pane = map.createPane("portalNames");
        pane.style.zIndex = 450;
        pane.style.pointerEvents = "none";
      }
      this._box = el("div", "portal-names");
      map.getPane("portalNames").appendChild(this._box);
      map.on("zoomend moveend resize", this._draw, this);
      this._draw();
    },
    onRemove: function (map) {
      map.off("zoomend moveend resize", this._draw, this);
      if (this._box && this._box.parentNode) { this._box.parentNode.removeChild(this._box); }
    },
    _draw: function () {
      var map = this._map, box = this._box;
      if (!map || !box) { return; }
      while (box.firstChild) { box.removeChild(box.firstChild); }
      var size = map.getSize(), placed = [], items = [];
      this._units.eachLayer(function (layer) {
        var p = layer.feature.properties, name = (p.v || [])[0];
        if (!name || !p.lp || !layer.getBounds) { return; }
        var b = layer.getBounds();
        var nw = map.latLngToContainerPoint(b.getNorthWest()), se = map.latLngToContainerPoint(b.getSouthEast());
        items.push({name: String(name), lp: p.lp, w: se.x - nw.x, h: se.y - nw.y});
      });
      items.sort(function (a, b) { return b.w * b.h - a.w * a.h; });
      items.forEach(function (item) {
        var at = map.latLngToContainerPoint(L.latLng(item.lp[0], item.lp[1]));
        var width = item.name.length * 12 + 4, height = 16;   /* 12 px CJK glyphs */
        if (width > item.w * 0.9 || height > item.h * 0.8) { return; }
        var r = {x1: at.x - width / 2, y1: at.y - height / 2, x2: at.x + width / 2, y2: at.y + height / 2};
        if (r.x1 < 0 || r.y1 < 0 || r.x2 > size.x || r.y2 > size.y) { return; }
        for (var i = 0; i < placed.length; i++) {
          var q = placed[i];
          if (r.x1 < q.x2 + 2 && q.x1 < r.x2 + 2 && r.y1 < q.y2 + 1 && q.y1 < r.y2 + 1) { return; }
        }
        placed.push(r);
        var label = el("div", "portal-name", item.name);
        var pos = map.containerPointToLayerPoint(L.point(r.x1, r.y1));
        label.style.left = pos.x + "px";
        label.style.top = pos.y + "px";
        label.style.width = width + "px";
        box.appendChild(label);
      });
    }
  });

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
    if (opts.names) { group.addLayer(new NameLayer(units)); }
    if (opts.fit) {
      /* Fit the map to this layer when it is (re)added for another extent: a new region or level
         is a new fit key, while a new year or indicator of the same extent keeps the user's
         pan/zoom (the map remembers the key it was last fitted to). */
      group.on("add", function (e) {
        var map = e.target._map, bounds = units.getBounds();
        if (!bounds.isValid()) { return; }
        if (opts.fitKey && map._portalFitKey === opts.fitKey) { return; }
        map._portalFitKey = opts.fitKey || null;
        map.invalidateSize(false);  /* the iframe may have been resized since the map was made */
        map.fitBounds(bounds, {padding: [12, 12], animate: false});
      });
    }
    return group;
  };
})();
