"""The platform's API under /api/v1: each system adds its router here."""
from django.conf import settings
from ninja import NinjaAPI

from .auth import api_auth
from .errors import install_handlers
from .throttling import AccountRateThrottle, AddressRateThrottle

api = NinjaAPI(
    title="渤海 API",
    version="1",
    description="沧州市统一政务平台接口。错误统一为 {code, message, fields}。",
    auth=api_auth,
    urls_namespace="api",
    docs_url="/docs",
    # Public endpoints are limited per client address, keyed callers per account or key.
    throttle=[AddressRateThrottle(settings.BOHAI_API_ANON_RATE), AccountRateThrottle(settings.BOHAI_API_AUTH_RATE)],
)
install_handlers(api)


def _mount_routers() -> None:
    from bohai.kernel.accounts.api import router as accounts_router
    from bohai.kernel.identities.api import router as identities_router
    from bohai.kernel.jobs.api import router as jobs_router
    from bohai.kernel.organisations.api import router as organisations_router
    from bohai.kernel.regions.api import router as regions_router
    from bohai.kernel.files.api import router as files_router
    from bohai.kernel.notifications.api import router as notifications_router
    from bohai.kernel.transfer.api import router as transfer_router
    from bohai.licenses.api import router as licenses_router
    from bohai.cases.api import router as cases_router
    from bohai.services.api import router as services_router
    from bohai.energy.api import router as energy_router
    from bohai.operations.api import router as operations_router
    from bohai.iot.api import router as iot_router

    api.add_router("/regions", regions_router, tags=["区划与网格"])
    api.add_router("/organisations", organisations_router, tags=["机构"])
    api.add_router("/identities", identities_router, tags=["人口与法人"])
    api.add_router("/accounts", accounts_router, tags=["账户"])
    api.add_router("/jobs", jobs_router, tags=["后台任务"])
    api.add_router("/transfer", transfer_router, tags=["导入导出"])
    api.add_router("/files", files_router, tags=["文件"])
    api.add_router("/notifications", notifications_router, tags=["通知"])
    api.add_router("/services", services_router, tags=["政务服务"])
    api.add_router("/licenses", licenses_router, tags=["电子证照"])
    api.add_router("/cases", cases_router, tags=["网格与12345"])
    api.add_router("/energy", energy_router, tags=["能耗与排放"])
    api.add_router("/operations", operations_router, tags=["城市运行中心"])
    api.add_router("/iot", iot_router, tags=["物联网"])


_mount_routers()
