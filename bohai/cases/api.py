from ninja import Router

from .api_indicators import router as indicators_router

router = Router()
router.add_router("/indicators", indicators_router)
