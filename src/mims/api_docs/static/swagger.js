// Swagger UI on the MIMS command API. "Try it out" runs in the browser of a person logged
// in at /login: the session cookie goes with every request, and a POST authenticated by
// the cookie must carry the CSRF token (the mims_csrf cookie) in X-CSRF-Token, as the
// dashboards and GraphiQL send it. A request with its own Authorization header (an API
// key or a session token pasted into "Authorize") needs none, and gets none.
const CSRF_COOKIE = "mims_csrf=";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function csrfToken() {
  const found = document.cookie.split("; ").find((c) => c.startsWith(CSRF_COOKIE));
  return found ? decodeURIComponent(found.slice(CSRF_COOKIE.length)) : "";
}

function sameOrigin(url) {
  return new URL(url, window.location.href).origin === window.location.origin;
}

function withCsrf(request) {
  const token = csrfToken();
  if (token && UNSAFE.has((request.method || "GET").toUpperCase()) && sameOrigin(request.url)) {
    request.headers["X-CSRF-Token"] = token;
  }
  return request;
}

window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null, // no badge from the public validator service
  requestInterceptor: withCsrf,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
