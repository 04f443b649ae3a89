"""Notifications into domain events for a replay, as the desk's mapper makes them, about twice
as fast.

A rebuild or a catch-up decodes every event of the log, and eventsourcing's JSON transcoder
(`json` with an object hook per dictionary) costs as much as reading the rows. This decodes the
stored bytes with msgspec, then turns the transcoder's `{"_type_": ..., "_data_": ...}` values
into their objects with the transcoder's own transcodings (inner ones first, as its object hook
does), and builds the event as `Mapper.to_domain_event` does (originator id and version,
upcasting by class version). Anything else (a cipher, a compressor, another transcoder, bytes
msgspec refuses, a missing field) goes to the mapper itself, which decodes it or raises its own
error (infrastructure.damaged_log's `DamagedLog`). The rebuild-equals-incremental tests compare
what it gives with what the mapper gives (the live runners decode with the mapper).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from typing import Any, cast

import msgspec
from eventsourcing.persistence import JSONTranscoder, Mapper, Notification, find_id_convertor
from eventsourcing.utils import resolve_topic


class _Fallback(Exception):
    """This one is for the mapper."""


class ReplayDecoder:
    """Decodes notifications of one desk (its `mapper`) into domain events."""

    def __init__(self, mapper: Mapper[Any]) -> None:
        self.mapper = mapper
        transcoder = mapper.transcoder
        self.plain = (mapper.cipher is None and mapper.compressor is None
                      and isinstance(transcoder, JSONTranscoder))
        self.names: dict[str, Any] = dict(getattr(transcoder, "names", {}))
        self._decoder = msgspec.json.Decoder()
        self._classes: dict[str, tuple[type, frozenset[str]]] = {}

    def _class(self, topic: str) -> tuple[type, frozenset[str]]:
        found = self._classes.get(topic)
        if found is None:
            cls = resolve_topic(topic)
            required = frozenset(
                f.name for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING) \
                if dataclasses.is_dataclass(cls) else frozenset()
            found = self._classes[topic] = (cls, required)
        return found

    def _walk(self, value: Any) -> Any:
        if type(value) is dict:
            for key, inner in value.items():
                kind = type(inner)
                if kind is dict or kind is list:
                    value[key] = self._walk(inner)
            if len(value) == 2 and "_type_" in value and "_data_" in value:
                transcoding = self.names.get(value["_type_"])
                if transcoding is None:
                    raise _Fallback
                return transcoding.decode(value["_data_"])
            return value
        return [self._walk(inner) if type(inner) is dict or type(inner) is list else inner
                for inner in value]

    def __call__(self, notification: Notification) -> Any:
        if not self.plain:
            return self.mapper.to_domain_event(notification)
        try:
            cls, required = self._class(notification.topic)
            state = self._walk(self._decoder.decode(notification.state))
            if type(state) is not dict:
                raise _Fallback
        except Exception:
            return self.mapper.to_domain_event(notification)  # decodes it, or says why not
        originator_id = notification.originator_id
        state["originator_id"] = find_id_convertor(
            cls, cast(Hashable, type(originator_id)))(originator_id)
        state["originator_version"] = notification.originator_version
        class_version = getattr(cls, "class_version", 1)
        from_version = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        if not required <= state.keys():
            return self.mapper.to_domain_event(notification)  # the mapper's own complaint
        event: Any = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return event
