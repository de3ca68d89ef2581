"""The values the store takes and gives back, and the bucket arithmetic its rollups share."""
from dataclasses import dataclass, field
from datetime import datetime

MINUTE = 60
HOUR = 3600
DAY = 86400
# Day buckets are Beijing days: China keeps UTC+8 all year (no daylight saving since 1991).
DAY_OFFSET = 8 * HOUR
RESOLUTIONS = ("raw", "minute", "hour", "day")
BUCKET_SECONDS = {"minute": MINUTE, "hour": HOUR, "day": DAY}


@dataclass(frozen=True, slots=True)
class Point:
    series_id: int
    ts: datetime  # aware, UTC
    value: float


@dataclass
class WriteOutcome:
    stored: int  # rows newly stored
    duplicates: int  # points already stored, or repeated in the batch: not stored again
    stored_points: list[Point] = field(default_factory=list)  # exactly the points newly stored


@dataclass
class QueryResult:
    resolution: str  # "raw", "minute", "hour" or "day"
    # (time, average, minimum, maximum, count); a raw point is (ts, value, value, value, 1)
    points: list[tuple[datetime, float, float, float, int]]


def bucket_start(epoch: float, resolution: str) -> int:
    """The epoch second at which the bucket holding `epoch` starts."""
    if resolution == "day":
        return int((epoch + DAY_OFFSET) // DAY * DAY - DAY_OFFSET)
    size = BUCKET_SECONDS[resolution]
    return int(epoch // size * size)
