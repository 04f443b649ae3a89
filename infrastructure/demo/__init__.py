"""The demo: a reproducible, realistic year of Service Cobourg cases, loaded in bulk.

Every case is built with the domain's own commands, as the desk would have recorded them, and
follows the service standards through `ServiceDesk.follow_standards` (targets planned at receipt
on the hours of the desk it came in at, replanned on transfer, classification and reopening;
waits measured; pauses resumed), with a breach recorded when its deadline passed. Walk-ins come
in at every desk, each while that desk is open. Cases are saved a hundred at a time together
with the reference books they were numbered from. Each event's `occurred_at` is historical, and
so is its `timestamp` (its recorded time): the demo, and only the demo, stamps its events as if
the desk had recorded them while the year ran (`recording`), so as-of reports and histories on
the year's dates find them.

The modules, in the order a load uses them: `mix`, `people` and `phrases` (the data the year is
drawn from), `promises` and `world` (what every story shares), `arrivals` and `plans` (what will
happen, decided first), `story` with its chapters `telling`, `first_contact`, `handling` and
`aftermath` (one case told), `recording`, `loading` and `summary` (stamping, saving it all, and
what was recorded).
"""

from infrastructure.demo.loading import RECEIVED_TOPIC, has_cases, load_demo
from infrastructure.demo.mix import CHANNELS, DEPARTMENT_WEIGHT
from infrastructure.demo.people import TEAMS

__all__ = ["CHANNELS", "DEPARTMENT_WEIGHT", "RECEIVED_TOPIC", "TEAMS", "has_cases", "load_demo"]
