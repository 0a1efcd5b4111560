"""The JSON API (OpenAPI at /api/openapi.json): everything the pages do."""

from fastapi import APIRouter

from bigcats.web.api import admin, auth, data, exports, health, layers, photos, species_review, uploads

router = APIRouter(prefix="/api")
router.include_router(auth.router)
router.include_router(data.router)
router.include_router(exports.router)
router.include_router(photos.router)
router.include_router(species_review.router)
router.include_router(layers.router)
router.include_router(uploads.router)
router.include_router(admin.router)
router.include_router(health.router)
