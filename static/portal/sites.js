/* Relocation-site markers: circle markers sized by planned households and coloured by stage,
   clustered when zoomed out, with popups and a legend built with textContent only (names from
   data never reach innerHTML). Needs Leaflet and leaflet.markercluster; loaded from /app/static/. */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function dot(color, radius, ring) {
    var box = el("span", "portal-dot");
    box.style.background = color;
    box.style.width = box.style.height = (2 * radius) + "px";
    if (ring) { box.style.border = "3px solid " + ring; }
    return box;
  }

  var SitesLegend = L.Layer.extend({
    initialize: function (spec) { this._spec = spec; },
    onAdd: function (map) {
      var spec = this._spec;
      var control = L.control({position: spec.position || "bottomleft"});
      control.onAdd = function () {
        var div = el("div", "portal-legend");
        div.appendChild(el("div", "portal-legend-title", spec.title));
        spec.items.forEach(function (item) {
          var row = el("div", "portal-legend-row");
          row.appendChild(dot(item.color, 6));
          row.appendChild(el("span", null, item.label));
          div.appendChild(row);
        });
        if (spec.sizes && spec.sizes.length) {
          div.appendChild(el("div", "portal-legend-title", spec.sizeTitle));
          spec.sizes.forEach(function (size) {
            var row = el("div", "portal-legend-row");
            row.appendChild(dot("#bdbdbd", size.r));
            row.appendChild(el("span", null, size.label));
            div.appendChild(row);
          });
        }
        if (spec.flagText) {
          var flag = el("div", "portal-legend-row");
          flag.appendChild(dot("#ffffff", 5, spec.flagColor));
          flag.appendChild(el("span", null, spec.flagText));
          div.appendChild(flag);
        }
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      };
      this._control = control.addTo(map);
    },
    onRemove: function (map) { map.removeControl(this._control); }
  });

  function popupContent(site, opts) {
    var box = el("div", "portal-site-popup");
    box.appendChild(el("div", "portal-site-title", site.v[0]));
    var table = el("table", "portal-tooltip");
    opts.fields.forEach(function (label, i) {
      if (i === 0) { return; }
      var value = site.v[i];
      var tr = el("tr");
      tr.appendChild(el("th", null, label));
      tr.appendChild(el("td", null, value === null || value === undefined ? "—" : value));
      table.appendChild(tr);
    });
    box.appendChild(table);
    if (site.f) { box.appendChild(el("div", "portal-site-flag", "⚠ " + site.f)); }
    return box;
  }

  /* markercluster needs a finite maxZoom; the portal's maps have no tile layer to give one. */
  var PortalCluster = L.MarkerClusterGroup.extend({
    onAdd: function (map) {
      if (!isFinite(map.getMaxZoom())) { map.setMaxZoom(18); }
      L.MarkerClusterGroup.prototype.onAdd.call(this, map);
    }
  });

  window.portalSites = function (sites, opts) {
    var group = L.featureGroup();
    var target = opts.cluster ? new PortalCluster({
      maxClusterRadius: opts.clusterRadius, disableClusteringAtZoom: opts.clusterUntilZoom,
      showCoverageOnHover: false, chunkedLoading: true
    }) : L.featureGroup();
    var markers = sites.map(function (site) {
      var cls = opts.stages[site.k];
      var marker = L.circleMarker([site.lat, site.lon], {
        radius: site.r, fillColor: cls.color, fillOpacity: 0.85,
        color: site.f ? opts.flagColor : opts.line, weight: site.f ? opts.flagWeight : 1
      });
      marker.feature = {type: "Feature", properties: {site_id: site.id}};
      marker.bindTooltip(function () { return el("span", null, site.v[0]); });
      marker.bindPopup(function () { return popupContent(site, opts); }, {maxWidth: 360});
      return marker;
    });
    if (opts.cluster) { target.addLayers(markers); } else { markers.forEach(function (m) { target.addLayer(m); }); }
    group.addLayer(target);
    group.portalMarkers = markers;
    if (opts.legend) { group.addLayer(new SitesLegend(opts.legend)); }
    return group;
  };
})();
