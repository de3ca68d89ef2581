"""Bohai settings: every value comes from an environment variable (see docs/operations.md)."""
import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("BOHAI_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def _secret_from_var(name: str, nbytes: int = 50) -> str:
    """Read a generated secret from var/, creating it on first run."""
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(nbytes))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("BOHAI_SECRET_KEY") or _secret_from_var("secret_key")
DEBUG = _env_bool("BOHAI_DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("BOHAI_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
# Reverse proxies whose X-Forwarded-For header is believed (addresses, comma-separated).
BOHAI_TRUSTED_PROXIES = frozenset(p.strip() for p in os.environ.get("BOHAI_TRUSTED_PROXIES", "").split(",") if p.strip())
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("BOHAI_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

# The city this deployment serves (GB/T 2260 code of a prefecture-level city).
BOHAI_CITY_CODE = os.environ.get("BOHAI_CITY_CODE", "130900")
# Keys for personal-data encryption (SM4) and blind indexes (keyed SM3); see kernel/crypto.
BOHAI_DATA_KEY = os.environ.get("BOHAI_DATA_KEY") or _secret_from_var("data_key", 32)
BOHAI_INDEX_KEY = os.environ.get("BOHAI_INDEX_KEY") or _secret_from_var("index_key", 32)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "bohai.kernel.audit",
    "bohai.kernel.regions",
    "bohai.kernel.organisations",
    "bohai.kernel.identities",
    "bohai.kernel.accounts",
    "bohai.kernel.events",
    "bohai.kernel.jobs",
    "bohai.kernel.api",
    "bohai.kernel.pages",
    "bohai.kernel.files",
    "bohai.kernel.notifications",
    "bohai.kernel.transfer",
    "bohai.kernel.backup",
    "bohai.kernel.demo",
    "bohai.kernel.bootstrap",
    "bohai.engines.workdays",
    "bohai.engines.workflows",
    "bohai.engines.telemetry",
    "bohai.engines.alarms",
    "bohai.licenses",
    "bohai.services",
    "bohai.cases",
    # energy before iot: its demo names the key enterprises whose meters the IoT demo then installs
    "bohai.energy",
    "bohai.iot",
    "bohai.operations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "bohai.kernel.accounts.middleware.TwoFactorRequiredMiddleware",
    "bohai.kernel.audit.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "bohai.urls"
WSGI_APPLICATION = "bohai.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "bohai.kernel.pages.context.navigation",
                "bohai.kernel.notifications.context.unread_notifications",
            ],
        },
    },
]


def _database_config() -> dict:
    url = os.environ.get("BOHAI_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        url = f"sqlite:///{VAR_DIR / 'bohai.sqlite3'}"
    config = dj_database_url.parse(url, conn_max_age=60)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers work beside the writer; IMMEDIATE avoids lock-upgrade
        # deadlocks between the web process and the job worker; writers queue on a file lock.
        config["ENGINE"] = "bohai.kernel.database.sqlite"
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        # A file (not :memory:) so backup tests and the live server see one database;
        # one per process so parallel test runs never share it.
        config["TEST"] = {"NAME": str(VAR_DIR / f"test_bohai_{os.getpid()}.sqlite3")}
    else:
        if config["ENGINE"] == "django.db.backends.postgresql":
            config["ENGINE"] = "bohai.kernel.audit.postgresql"  # sends audit records with the COMMIT
        config["TEST"] = {"NAME": f"test_{config['NAME']}_{os.getpid()}"}
    return config


DATABASES = {"default": _database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["bohai.kernel.accounts.backends.RoleBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "bohai.kernel.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "pages:home"
LOGOUT_REDIRECT_URL = "pages:home"

SESSION_COOKIE_AGE = int(os.environ.get("BOHAI_SESSION_SECONDS", 8 * 3600))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = _env_bool("BOHAI_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
BOHAI_LOGIN_MAX_FAILURES = int(os.environ.get("BOHAI_LOGIN_MAX_FAILURES", 5))
BOHAI_API_ANON_RATE = os.environ.get("BOHAI_API_ANON_RATE", "60/min")
# Public lookups that take a number plus an identity number (or only a number) are kept slower.
BOHAI_SERVICES_PROGRESS_RATE = os.environ.get("BOHAI_SERVICES_PROGRESS_RATE", "10/min")
BOHAI_CASES_TRACK_RATE = os.environ.get("BOHAI_CASES_TRACK_RATE", "10/min")
BOHAI_API_AUTH_RATE = os.environ.get("BOHAI_API_AUTH_RATE", "3000/min")
# Each device over HTTP: generous for catching up after an outage, a cap on a runaway device.
BOHAI_IOT_DEVICE_RATE = os.environ.get("BOHAI_IOT_DEVICE_RATE", "600/min")
BOHAI_LOGIN_LOCKOUT_SECONDS = int(os.environ.get("BOHAI_LOGIN_LOCKOUT_SECONDS", 15 * 60))
# Failed sign-ins (passwords and codes) from one client address within the window, then HTTP 429.
BOHAI_LOGIN_IP_MAX_FAILURES = int(os.environ.get("BOHAI_LOGIN_IP_MAX_FAILURES", 20))
BOHAI_LOGIN_IP_WINDOW_SECONDS = int(os.environ.get("BOHAI_LOGIN_IP_WINDOW_SECONDS", 5 * 60))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "bohai" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Only the built files of each npm package are served (node_modules itself is large).
_VENDOR_DIST = {
    "tabler": "@tabler/core/dist",
    "htmx": "htmx.org/dist",
    "alpinejs": "alpinejs/dist",
    "echarts": "echarts/dist",
}
STATICFILES_DIRS = [
    (f"vendor/{name}", BASE_DIR / "node_modules" / dist)
    for name, dist in _VENDOR_DIST.items()
    if (BASE_DIR / "node_modules" / dist).exists()
]
MEDIA_ROOT = VAR_DIR / "media"
BOHAI_BACKUP_DIR = Path(os.environ.get("BOHAI_BACKUP_DIR", VAR_DIR / "backups"))
BOHAI_MAX_UPLOAD_BYTES = int(os.environ.get("BOHAI_MAX_UPLOAD_BYTES", 50 * 1024 * 1024))
# Uploaded files (kernel/files), content-addressed by SM3; backed up with the database.
BOHAI_FILES_DIR = Path(os.environ.get("BOHAI_FILES_DIR", VAR_DIR / "files"))
# Dotted path of a callable send(phone, text) for SMS notifications; unset: no SMS is sent.
BOHAI_SMS_BACKEND = os.environ.get("BOHAI_SMS_BACKEND") or None
# MQTT (bohai/iot/mqtt): the broker devices publish to, Bohai's broker files (password, ACL, config,
# persistence) and the ingestion worker's own broker account (its password generated there when unset).
# 1884 by default so that Bohai's broker (with its password and ACL files) does not collide with a system
# mosquitto already on MQTT's usual 1883; a deployment sets BOHAI_MQTT_URL to the port devices are told.
BOHAI_MQTT_URL = os.environ.get("BOHAI_MQTT_URL", "mqtt://127.0.0.1:1884")
BOHAI_MQTT_DIR = Path(os.environ.get("BOHAI_MQTT_DIR", VAR_DIR / "mosquitto"))
BOHAI_MQTT_WORKER_USER = os.environ.get("BOHAI_MQTT_WORKER_USER", "bohai-ingest")
BOHAI_MQTT_WORKER_PASSWORD = os.environ.get("BOHAI_MQTT_WORKER_PASSWORD") or None
# The broker plugin that counts refused connections (built by `make install` from bohai/iot/mqtt/refusals_plugin.c).
BOHAI_MQTT_REFUSALS_PLUGIN = Path(os.environ.get("BOHAI_MQTT_REFUSALS_PLUGIN",
                                                 BASE_DIR / "build" / "mosquitto" / "bohai_refusals.so"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "bohai_cache",
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("BOHAI_LOG_LEVEL", "WARNING")},
}
