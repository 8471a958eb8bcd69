// Offline API documentation for the operator plane. Loaded as a file, not inline, so a strict
// `Content-Security-Policy: default-src 'self'` holds. `validatorUrl: null` switches off the
// badge Swagger UI would otherwise fetch from validator.swagger.io: nothing leaves the server.
window.addEventListener('DOMContentLoaded', function () {
  window.ui = SwaggerUIBundle({
    url: '/system/api/openapi.json',
    dom_id: '#swagger-ui',
    validatorUrl: null,
  });
});
