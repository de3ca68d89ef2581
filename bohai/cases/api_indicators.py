"""Indicators and rankings under /api/v1/cases/indicators."""
from ninja import Router

router = Router()
