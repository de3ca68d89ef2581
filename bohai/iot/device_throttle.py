"""Per-device rate limit on HTTP ingestion: a device that floods is slowed, its neighbours are not."""
from django.conf import settings
from ninja.throttling import AuthRateThrottle


class DeviceRateThrottle(AuthRateThrottle):
    def __init__(self):
        super().__init__(settings.BOHAI_IOT_DEVICE_RATE)

    def get_cache_key(self, request) -> str:
        entry = getattr(request, "auth", None)
        return self.cache_format % {"scope": "iot-device", "ident": getattr(entry, "code", "?")}


class KeyHolderAddressThrottle(AuthRateThrottle):
    """Per client address for callers holding a key that is not an account (self-provisioning): ninja's
    anonymous throttle would let them through, since the key counts as authentication."""

    def get_cache_key(self, request) -> str:
        from bohai.kernel.audit.middleware import client_address

        return self.cache_format % {"scope": "iot-provisioning", "ident": client_address(request)}
