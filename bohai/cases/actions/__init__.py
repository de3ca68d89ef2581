"""The cases system's actions: collect and file, dispatch and handle, verify and close, 12345 follow-up."""
from .classes import load_reference_classes  # noqa: F401
from .handling import (  # noqa: F401
    decide_extension, defer_case, dispatch_case, follow_up, report_handled, request_extension, resume_deferred,
    reveal_caller_phone, send_back, sign_case, verify_case,
)
from .reporting import file_case, refuse_case, report_case  # noqa: F401
