"""The versioned JSON API (``/api/v1/``), built on django-ninja: typed schemas, an OpenAPI
document and a docs page served from static files. Its routes call the same services and the
same access rules (:mod:`courses.access`) as the site's views; per-user API tokens live here."""
