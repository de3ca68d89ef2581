"""How a device is shown in pages and the API: its row, and whether it is online."""
from datetime import timedelta

from django.utils import timezone

from .models import Device, DeviceStatus


def is_online(device: Device, now=None) -> bool:
    """Active and heard from within its type's offline_after_minutes."""
    if device.status != DeviceStatus.ACTIVE or device.last_seen_at is None:
        return False
    now = now or timezone.now()
    return now - device.last_seen_at <= timedelta(minutes=device.device_type.offline_after_minutes)


def device_row(device: Device) -> dict:
    return {
        "code": device.code, "name": device.name, "device_type": device.device_type.code,
        "organisation": device.organisation.key, "region": device.region.key, "region_name": device.region.name,
        "lng": device.lng, "lat": device.lat, "address": device.address, "enterprise_code": device.enterprise_code,
        "status": device.status, "online": is_online(device), "last_seen_at": device.last_seen_at,
        "credentials_issued_at": device.credentials_issued_at, "mqtt_topic": device.mqtt_topic,
    }
