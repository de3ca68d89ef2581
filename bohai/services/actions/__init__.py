"""The services system's actions: the catalogue, applications through their lifecycle, 好差评.

Split by subject; import from here: `from bohai.services import actions`.
"""
from .applications import (  # noqa: F401
    accept_application, handle_step, reject_application, request_supplement, submit_application,
    supplement_application, withdraw_application,
)
from .catalogue import load_catalogue  # noqa: F401
from .reviews import answer_rectification, close_rectification, review_application  # noqa: F401
