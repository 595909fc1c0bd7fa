// Channels: on the "Continue to the platform" page, go on to the platform at once. The page
// exists because the CSP's form-action forbids a form POST redirecting to another origin;
// following a link from script is not a form submission. Without JavaScript, the user clicks.
"use strict";

(function () {
  const link = document.querySelector("a[data-continue]");
  if (link && link.href) window.location.assign(link.href);
})();
