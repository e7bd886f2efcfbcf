/* "Use my current location": fills a form's latitude and longitude from the
   browser's geolocation. Progressive enhancement: the button is hidden in the
   HTML and shown only where geolocation exists, so without JavaScript the
   coordinate fields are the way, as they always were. */
(function () {
  "use strict";
  if (!navigator.geolocation) { return; }
  var buttons = document.querySelectorAll("[data-locate]");
  Array.prototype.forEach.call(buttons, function (button) {
    var latitude = document.getElementById(button.getAttribute("data-latitude"));
    var longitude = document.getElementById(button.getAttribute("data-longitude"));
    var status = document.getElementById(button.getAttribute("data-status"));
    if (!latitude || !longitude) { return; }
    var say = function (key) { if (status) { status.textContent = button.getAttribute(key) || ""; } };
    button.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      say("data-finding");
      navigator.geolocation.getCurrentPosition(function (position) {
        latitude.value = position.coords.latitude.toFixed(6);
        longitude.value = position.coords.longitude.toFixed(6);
        button.disabled = false;
        say("data-found");
      }, function () {
        // Refused or unavailable: the fields stay, typed by hand.
        button.disabled = false;
        say("data-failed");
      }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
    });
  });
})();
