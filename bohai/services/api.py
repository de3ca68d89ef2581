from ninja import Router

from .api_statistics import router as statistics_router

router = Router()
router.add_router("/statistics", statistics_router)
