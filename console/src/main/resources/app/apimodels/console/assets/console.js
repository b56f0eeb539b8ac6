// The console's only script of its own (no inline script: the Content-Security-Policy forbids it).
// htmx requests that change something carry the session's CSRF token as a header, read from the
// page's <body data-csrf>; plain forms carry it in their hidden csrf_token field instead.
document.addEventListener("htmx:configRequest", function (event) {
  var token = document.body.dataset.csrf;
  if (token && event.detail.verb !== "get") {
    event.detail.headers["X-CSRF-Token"] = token;
  }
});
