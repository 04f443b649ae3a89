"""The demo's people: customer service representatives, each department's team, customers."""

from __future__ import annotations

from dataclasses import dataclass

from domain.actors import Actor, Role

CSRS = ("csr-ana", "csr-ben", "csr-chloe", "csr-dev", "csr-elena", "csr-farid")
TEAMS = {  # department: staff, manager, director (the CAO heads her own office)
    "cao": (("fire-ryan", "fire-priya", "comms-julie"), "mgr-cao-helen", "cao-tracey"),
    "corporate": (("finance-marc", "finance-sana", "it-omar", "facilities-gus"),
                  "mgr-corporate-ian", "dir-corporate-ruth"),
    "community": (("recreation-olivia", "parks-sam", "ccc-noah", "culture-ines"),
                  "mgr-community-paula", "dir-community-teresa"),
    "public-works": (("roads-dan", "roads-keisha", "engineering-wei", "transit-lou"),
                     "mgr-public-works-karen", "dir-public-works-laurie"),
    "planning": (("planning-maya", "building-jorge", "ecdev-rita"), "mgr-planning-victor",
                 "dir-planning-anne"),
    "legislative": (("clerks-amir", "bylaw-tessa", "bylaw-cole", "edi-fatima"),
                    "mgr-legislative-grace", "dir-legislative-brent"),
}
CAO = Actor(id="cao-tracey", role=Role.DIRECTOR, departments=frozenset({"cao"}))
SURVEY_PORTAL = Actor(id="survey-portal", role=Role.SYSTEM)
OMBUDSMAN = "ontario-ombudsman"
FIRST_NAMES = ("Alex", "Bianca", "Chris", "Diane", "Emeka", "Fatima", "George", "Hannah", "Imran",
               "Julia", "Kevin", "Linda", "Mohamed", "Nora", "Owen", "Priya", "Quinn", "Rosa",
               "Sean", "Tanya", "Uma", "Victor", "Wendy", "Yara", "Zach")
LAST_NAMES = ("Anderson", "Bouchard", "Chen", "Douglas", "Edwards", "Fraser", "Gill", "Hughes",
              "Ibrahim", "Jackson", "Kowalski", "Lapointe", "MacDonald", "Nguyen", "OBrien",
              "Patel", "Roy", "Singh", "Thompson", "Vasquez", "Walsh", "Young", "Zhang")
STREETS = ("King Street West", "King Street East", "Division Street", "Elgin Street West",
           "William Street", "University Avenue West", "D'Arcy Street", "Albert Street",
           "Bay Street", "Ontario Street", "Burnham Street", "Kerr Street", "Queen Street",
           "Chapel Street", "Spencer Street", "Tremaine Street", "Densmore Road",
           "Brook Road North", "Kensington Drive")


@dataclass(frozen=True)
class Team:
    staff: tuple[Actor, ...]
    manager: Actor
    director: Actor


def team_for(department: str) -> Team:
    staff, manager, director = TEAMS.get(
        department, ((f"{department}-staff-1", f"{department}-staff-2"), f"mgr-{department}",
                     f"dir-{department}"))
    mine = frozenset({department})
    return Team(staff=tuple(Actor(id=s, role=Role.STAFF, departments=mine) for s in staff),
                manager=Actor(id=manager, role=Role.MANAGER, departments=mine),
                director=Actor(id=director, role=Role.DIRECTOR, departments=mine))
