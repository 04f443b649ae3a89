"""A replay (rebuild, catch-up) decodes the log with engine.decoding's `ReplayDecoder`, faster
than the desk's mapper; it must give exactly the events the mapper gives, on both databases."""

from __future__ import annotations

from application.desk import ServiceDesk
from engine.decoding import ReplayDecoder
from infrastructure.demo import load_demo
from tests.receiving import receive


def test_the_replay_decoder_gives_the_events_the_mapper_gives(desk: ServiceDesk) -> None:
    # Given a log with every kind of event (a demo history, and a case received now)
    load_demo(desk, cases=40, seed=3)
    receive(desk)
    notifications = desk.recorder.select_notifications(start=1, limit=100_000)
    # When each is decoded by the replay's decoder and by the mapper
    decode = ReplayDecoder(desk.mapper)
    fast = [decode(n) for n in notifications]
    mapped = [desk.mapper.to_domain_event(n) for n in notifications]
    # Then they are the same events: same classes, same fields, same values and types
    assert len({type(e).__name__ for e in mapped}) >= 15
    for ours, theirs in zip(fast, mapped, strict=True):
        assert type(ours) is type(theirs)
        assert vars(ours) == vars(theirs)
        assert {k: type(v) for k, v in vars(ours).items()} == \
            {k: type(v) for k, v in vars(theirs).items()}
