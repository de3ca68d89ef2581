import pytest


@pytest.fixture(autouse=True)
def fresh_dispatch_references():
    """Each test builds its own classes and units: no process cache may carry them across tests."""
    from bohai.cases.dispatch import forget

    forget()
    yield
    forget()
