// The directory's map (/actions/): a marker for each action found (the page's JSON), tiles
// only when the server names a tile server, and a click on the map or "Use my position"
// fills the search's point. The cards list the same actions for those who do not see it.
(function () {
  "use strict";
  var element = document.getElementById("directory-map");
  var near = document.getElementById("id_near");
  var button = document.querySelector(".use-position");
  if (button && near && navigator.geolocation) {
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        near.value = position.coords.latitude.toFixed(4) + "," + position.coords.longitude.toFixed(4);
        near.form.requestSubmit();
      }, function () { window.alert(button.dataset.error); });
    });
  }
  if (!element || !window.L) return;
  var markers = JSON.parse(document.getElementById("directory-markers").textContent);
  var map = window.L.map(element, { scrollWheelZoom: false });
  // Leaflet's credit without its English tooltip: the page is in French or English.
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  if (element.dataset.tiles) {
    window.L.tileLayer(element.dataset.tiles, {
      maxZoom: 19, attribution: element.dataset.attribution
    }).addTo(map);
  }
  var points = [];
  markers.forEach(function (item) {
    var marker = window.L.marker([item.lat, item.lon], { title: item.title, alt: item.title, keyboard: true });
    var popup = document.createElement("a");
    popup.href = item.url;
    popup.textContent = item.title;
    marker.bindPopup(popup);
    marker.addTo(map);
    points.push([item.lat, item.lon]);
  });
  if (element.dataset.center) {
    var center = element.dataset.center.split(",").map(Number);
    points.push(center);
  }
  if (points.length) {
    map.fitBounds(points, { padding: [30, 30], maxZoom: 13 });
  } else {
    map.setView([46.6, 2.4], 5);  // mainland France when nothing is found
  }
  map.on("click", function (event) {
    if (!near) return;
    near.value = event.latlng.lat.toFixed(4) + "," + event.latlng.lng.toFixed(4);
    near.focus();
  });
})();
