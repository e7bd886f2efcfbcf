/*
 * Camera scanning for the staff page (a citizen's personal QR, an IIN barcode,
 * an ID card) and for the citizen's scanner on the status page (a venue poster
 * or kiosk code).
 *
 * The browser's own BarcodeDetector is used where it exists (Chrome on Android
 * and macOS). Elsewhere (Safari on iPhone, Firefox, Chromium on Linux) the
 * barcode-detector ponyfill is loaded from our static files: ZXing-C++ compiled
 * to WebAssembly. Its default loader fetches the .wasm from a public CDN, so the
 * WebAssembly location is set to our own copy before anything is decoded.
 *
 * Everything a person reads comes from data attributes that the template
 * renders in their language; this file holds no user-visible text.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var POLYFILL_SRC = script.getAttribute("data-polyfill");
  var WASM_SRC = script.getAttribute("data-wasm");
  // Milliseconds between two decoding tries: the WebAssembly decoder takes a few tens
  // of milliseconds per frame on a phone; trying every frame would heat it up.
  var SCAN_INTERVAL_MS = 150;

  var detectorClass = null;

  function cameraApi() {
    var media = navigator.mediaDevices;
    return media && media.enumerateDevices && media.getUserMedia ? media : null;
  }

  // Resolves to true when the device has a camera at all. Before permission is
  // given, browsers list devices without labels but with their kind.
  function hasCamera() {
    var media = cameraApi();
    if (!media) { return Promise.resolve(false); }
    return media.enumerateDevices().then(function (devices) {
      return devices.some(function (device) { return device.kind === "videoinput"; });
    }).catch(function () { return false; });
  }

  function loadPolyfill() {
    return new Promise(function (resolve, reject) {
      var tag = document.createElement("script");
      tag.src = POLYFILL_SRC;
      tag.onload = function () { resolve(window.BarcodeDetectionAPI); };
      tag.onerror = function () { reject(new Error("polyfill")); };
      document.head.appendChild(tag);
    }).then(function (api) {
      // fireImmediately loads and compiles the WebAssembly now, so that a
      // missing file is an error here rather than a scanner that never reads.
      return api.prepareZXingModule({
        overrides: {
          locateFile: function (path, prefix) {
            return path.slice(-5) === ".wasm" ? WASM_SRC : prefix + path;
          }
        },
        fireImmediately: true
      }).then(function () { return api.BarcodeDetector; });
    });
  }

  // The detector class to use, and which one it is in data-barcode-detector on
  // <html> ("native" or "polyfill"), for people debugging a phone and for tests.
  function loadDetector(formats) {
    if (detectorClass) { return Promise.resolve(detectorClass); }
    var native = window.BarcodeDetector;
    var nativeFits = native && native.getSupportedFormats
      ? native.getSupportedFormats().then(function (supported) {
        return formats.every(function (format) { return supported.indexOf(format) !== -1; });
      }).catch(function () { return false; })
      : Promise.resolve(false);
    return nativeFits.then(function (fits) {
      if (fits) { return ["native", native]; }
      return loadPolyfill().then(function (polyfill) { return ["polyfill", polyfill]; });
    }).then(function (found) {
      document.documentElement.setAttribute("data-barcode-detector", found[0]);
      detectorClass = found[1];
      return detectorClass;
    });
  }

  function errorKind(error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") { return "denied"; }
    if (name === "NotFoundError" || name === "OverconstrainedError" || name === "NotReadableError") {
      return "unavailable";
    }
    return "failed";
  }

  /*
   * Wires one scanner: `button` starts the camera, `stopButton` turns it off,
   * frames show in `video`, and `onCode(rawValue, say)` gets each code read; it
   * returns true to stop scanning. `message` shows a translated text from the
   * button's data-msg-* attributes.
   */
  function attach(options) {
    var button = options.button;
    var stopButton = options.stopButton;
    var video = options.video;
    var message = options.message;
    var stream = null;
    // Each start of the camera is a new run; a decoding loop of an earlier run,
    // still waiting on its timer, ends instead of doubling the work.
    var run = 0;

    function say(text) {
      message.textContent = text || "";
      message.hidden = !text;
    }

    function stop() {
      if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
      stream = null;
      video.hidden = true;
      stopButton.hidden = true;
      button.disabled = false;
    }

    function loop(detector, mine) {
      if (!stream || mine !== run) { return; }
      detector.detect(video).then(function (codes) {
        if (!stream || mine !== run) { return; }
        for (var i = 0; i < codes.length; i++) {
          if (options.onCode(codes[i].rawValue, say)) { stop(); return; }
        }
        setTimeout(function () { loop(detector, mine); }, SCAN_INTERVAL_MS);
      }).catch(function () {
        // A frame that is not ready yet (no video data) is not an error.
        setTimeout(function () { loop(detector, mine); }, SCAN_INTERVAL_MS);
      });
    }

    button.addEventListener("click", function () {
      var mine = ++run;
      say("");
      button.disabled = true;
      var camera = cameraApi().getUserMedia({video: {facingMode: "environment"}, audio: false});
      var detector = loadDetector(options.formats).then(function (Detector) {
        return new Detector({formats: options.formats});
      });
      camera.then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        stopButton.hidden = false;
        return video.play();
      }).then(function () {
        return detector;
      }).then(function (found) { loop(found, mine); }, function (error) {
        stop();
        // The camera's error wins: a refused permission is what a person can fix.
        camera.then(function () { say(button.getAttribute("data-msg-failed")); }, function (cameraError) {
          say(button.getAttribute("data-msg-" + errorKind(cameraError)));
        });
        if (window.console) { window.console.error(error); }
      });
    });

    stopButton.addEventListener("click", function () { say(""); stop(); button.focus(); });

    hasCamera().then(function (found) {
      button.hidden = !found;
      if (options.noCamera) { options.noCamera.hidden = found; }
    });
  }

  // The venue page a scanned code leads to, or null when it is not one of ours:
  // only our own origin (or the public SITE_URL printed on posters) and only
  // /v/<code>/, keeping the rotating kiosk token `k`.
  function venueTarget(value, siteOrigin) {
    var url;
    try { url = new URL(String(value).trim()); } catch (e) { return null; }
    if (url.origin !== window.location.origin && url.origin !== siteOrigin) { return null; }
    var match = /^\/v\/([A-Za-z0-9_-]{1,64})\/$/.exec(url.pathname);
    if (!match) { return null; }
    var kiosk = url.searchParams.get("k");
    return window.location.origin + "/v/" + match[1] + "/" + (kiosk ? "?k=" + encodeURIComponent(kiosk) : "");
  }

  function staffScanner(root) {
    var form = document.getElementById(root.getAttribute("data-form"));
    var field = form.querySelector("[name=q]");
    var source = form.querySelector("[name=source]");
    attach({
      button: root.querySelector("[data-scan-start]"),
      stopButton: root.querySelector("[data-scan-stop]"),
      video: root.querySelector("video"),
      message: root.querySelector("[data-scan-message]"),
      formats: ["qr_code", "code_128", "pdf417", "ean_13"],
      onCode: function (value) {
        // A text field drops line breaks, which would glue the numbers of an ID
        // card's barcode together; control characters become spaces instead.
        field.value = value.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
        source.value = "camera";
        form.submit();
        return true;
      }
    });
  }

  function doorScanner(root) {
    var siteOrigin = root.getAttribute("data-site-origin") || window.location.origin;
    var button = root.querySelector("[data-scan-start]");
    attach({
      button: button,
      stopButton: root.querySelector("[data-scan-stop]"),
      video: root.querySelector("video"),
      message: root.querySelector("[data-scan-message]"),
      noCamera: root.querySelector("[data-no-camera]"),
      formats: ["qr_code"],
      onCode: function (value, say) {
        var target = venueTarget(value, siteOrigin);
        if (target) { window.location.assign(target); return true; }
        // Keep the camera open: the right code is usually next to the wrong one.
        say(button.getAttribute("data-msg-not-ours"));
        return false;
      }
    });
  }

  document.querySelectorAll("[data-scanner=staff]").forEach(staffScanner);
  document.querySelectorAll("[data-scanner=door]").forEach(doorScanner);
  window.AshyqScanner = {venueTarget: venueTarget};
})();
