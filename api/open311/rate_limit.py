"""How often a client may POST Service Request: per key and per address, in this process."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from threading import Lock

from api.open311.errors import Open311Error


@dataclass
class RateLimiter:
    """At most `limit` submissions per `window` seconds for each bucket (a key, an address),
    counted in this process. A refused attempt does not count."""

    per_key: int = 30
    per_address: int = 60
    window: float = 60.0
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}
        self._lock = Lock()

    def admit(self, bucket: str, limit: int) -> None:
        """Count one attempt, or raise Open311Error 429 with Retry-After."""
        with self._lock:
            now = self.clock()
            hits = self._hits.setdefault(bucket, deque())
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) >= limit:
                retry = max(1, math.ceil(self.window - (now - hits[0])))
                raise Open311Error(429, f"too many requests: at most {limit} each "
                                        f"{self.window:g} seconds; retry in {retry} s",
                                   headers={"Retry-After": str(retry)})
            hits.append(now)
            if len(self._hits) > 10_000:  # forget buckets that went quiet
                self._hits = {b: h for b, h in self._hits.items()
                              if h and now - h[-1] < self.window}

