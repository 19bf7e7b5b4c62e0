/* Crisis Room front end: the war room's live feed over htmx's websocket extension.
 * Server messages are JSON ({type, ..., html}); the "crisis-json" extension hands
 * htmx the html (out-of-band swaps of the page's own partials) and announces the
 * parsed message as a "crisis:message" event. */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    if (!window.htmx) return;
    htmx.defineExtension("crisis-json", {
      transformResponse: function (text, xhr, elt) {
        if (xhr) return text; // only websocket messages arrive without an XHR
        var message;
        try { message = JSON.parse(text); } catch (e) { return text; }
        document.dispatchEvent(new CustomEvent("crisis:message", { detail: message }));
        return message.html || "";
      }
    });
    var room = document.querySelector(".war-room");
    if (!room) return;
    var banner = document.getElementById("connection-banner");
    var lost = false;
    room.addEventListener("htmx:wsClose", function (evt) {
      var code = evt.detail.event.code;
      if (code === 4403 || code === 4404) return;
      lost = true;
      banner.textContent = banner.dataset.lost;
      banner.hidden = false;
      room.classList.add("offline");
      // The extension retries abnormal closures itself; a clean close (server restart) too.
      if ([1006, 1011, 1012, 1013].indexOf(code) < 0 && evt.detail.socketWrapper) {
        setTimeout(function () { evt.detail.socketWrapper.reconnect(); }, 1000);
      }
    });
    room.addEventListener("htmx:wsOpen", function () {
      room.classList.remove("offline");
      room.dataset.connected = "true";
      if (!lost) return;
      lost = false;
      banner.textContent = banner.dataset.back;
      // Resync: whatever arrived while we were away, exactly as a fresh load shows it.
      htmx.ajax("GET", room.dataset.feedUrl, { target: "#feed", swap: "outerHTML" }).then(function () {
        setTimeout(function () { banner.hidden = true; }, 1500);
      });
    });
    document.addEventListener("crisis:message", function (evt) {
      if (evt.detail.type === "hello") room.dataset.connected = "true";
    });
  });
})();
