"""Streaming spike detection for brand mention streams (pure stdlib).

Feed a StreamDetector one Bucket (brand x 5 minutes, all platforms summed) at a
time; it returns the Signals above threshold, with ``fires`` set when an alert
should be raised now. Persist ``to_state()`` between tasks and pass it back as
``StreamDetector(config, state)``.
"""

from .stream import StreamDetector
from .types import (
    BUCKET_MINUTES,
    KINDS,
    NEGATIVE_SHARE,
    VELOCITY,
    VOLUME,
    Bucket,
    DetectorConfig,
    Signal,
)

__all__ = [
    "BUCKET_MINUTES",
    "KINDS",
    "NEGATIVE_SHARE",
    "VELOCITY",
    "VOLUME",
    "Bucket",
    "DetectorConfig",
    "Signal",
    "StreamDetector",
]
