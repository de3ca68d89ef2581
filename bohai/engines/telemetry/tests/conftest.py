import pytest

from bohai.engines.telemetry.store import forget_cached_series


@pytest.fixture(autouse=True)
def fresh_series_cache():
    forget_cached_series()
    yield
    forget_cached_series()
