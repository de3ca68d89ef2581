"""Statistics of the government-service office under /api/v1/services/statistics."""
from ninja import Router

router = Router()
