"""Job sources: feed files, the shipped demo corpus, the Adzuna API and its call quota.

The Redis call quota keeps Adzuna calls within Adzuna's limits across processes.

``SourceCatalog`` is what the container wires in as the ``JobSourceCatalog`` port.
"""

from jobraker_adapters.sources.adzuna import AdzunaJobSource, AdzunaQuery, CallQuota
from jobraker_adapters.sources.catalog import SourceCatalog, demo_feed
from jobraker_adapters.sources.feed_file import FeedFormat, FileJobSource
from jobraker_adapters.sources.quota import ADZUNA_WINDOWS, QuotaWindow, RedisCallQuota

__all__ = [
    "ADZUNA_WINDOWS",
    "AdzunaJobSource",
    "AdzunaQuery",
    "CallQuota",
    "FeedFormat",
    "FileJobSource",
    "QuotaWindow",
    "RedisCallQuota",
    "SourceCatalog",
    "demo_feed",
]
