"""Files have no endpoints of their own: the app that owns a file accepts it (store_upload) and
serves it (reading.file_response) behind its own access checks."""
from ninja import Router

router = Router()
