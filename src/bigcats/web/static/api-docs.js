// Starts Swagger UI on /api/docs from the vendored bundle; a file of its own because the content-security policy
// allows no inline script. The OpenAPI URL comes from the page (data-openapi-url).
window.addEventListener("load", function () {
  var el = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: el.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
