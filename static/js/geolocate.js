/* "Use my location": progressive enhancement for forms with hidden lat/lng inputs.
   Without JavaScript (or without geolocation) the button stays hidden and the address field
   works on its own. No dependencies. */
(function () {
  "use strict";
  if (!("geolocation" in navigator)) return;
  var buttons = document.querySelectorAll("[data-geolocate]");
  Array.prototype.forEach.call(buttons, function (button) {
    var form = button.form;
    var status = document.getElementById(button.getAttribute("data-status"));
    if (!form || !form.elements.lat || !form.elements.lng) return;
    function say(text) { if (status) status.textContent = text; }
    button.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      say("Finding your location…");
      navigator.geolocation.getCurrentPosition(
        function (position) {
          form.elements.lat.value = position.coords.latitude.toFixed(6);
          form.elements.lng.value = position.coords.longitude.toFixed(6);
          button.disabled = false;
          say("Location set (accurate to about " + Math.round(position.coords.accuracy) +
              " m). The address is now optional.");
        },
        function (error) {
          button.disabled = false;
          say("We could not get your location (" + error.message + "). Please type the address.");
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  });
})();
