/* Relocation-site markers: circle markers sized by planned households and coloured by stage,
   clustered when zoomed out, with popups and a legend built with textContent only (names from
   data never reach innerHTML). Needs Leaflet, leaflet.markercluster and portal.js (window.portal), all served by the portal. */
(function () {
  "use strict";

  var el = window.portal.el;  /* portal.js loads first: it is on every base map */

  function dot(color, radius, ring) {
    var box = el("span", "portal-dot");
    box.style.background = color;
    box.style.width = box.style.height = (2 * radius) + "px";
    if (ring) { box.style.border = "3px solid " + ring; }
    return box;
  }

  function sitesLegend(spec) {
    /* top left, under the zoom buttons: on screen on a 1366x768 laptop without scrolling */
    return new window.portal.ControlLayer(spec.position || "topleft", function () {
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
      return div;
    });
  }

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
        color: site.f ? opts.flagColor : opts.line, weight: site.f ? opts.flagWeight : 2
      });
      marker.feature = {type: "Feature", properties: {site_id: site.id}};
      marker.bindTooltip(function () { return el("span", null, site.v[0]); });
      marker.bindPopup(function () { return popupContent(site, opts); }, {maxWidth: 360});
      return marker;
    });
    if (opts.cluster) { target.addLayers(markers); } else { markers.forEach(function (m) { target.addLayer(m); }); }
    group.addLayer(target);
    group.portalMarkers = markers;
    if (opts.legend) { group.addLayer(sitesLegend(opts.legend)); }
    return group;
  };
})();
