"""The IoT platform's actions: the registry (types, devices, credentials), bulk registration, self-provisioning."""
from .bulk import BulkReport, bulk_register  # noqa: F401
from .provisioning import (  # noqa: F401
    ProvisioningRefused, create_provisioning_key, find_provisioning_key, provision_device, revoke_provisioning_key,
)
from .registry import (  # noqa: F401
    change_device_status, clean_device_fields, issue_credentials, load_reference_device_types, register_device,
    update_device,
)
