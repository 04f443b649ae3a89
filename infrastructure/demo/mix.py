"""The mix of a year at the desk: when cases arrive, by which channel, for what, and how they go."""

CHANNELS = {"telephone": 36, "email": 18, "in_person": 13, "web_form": 10, "voicemail": 6,
            "missed_call": 5, "social_media": 5, "written": 4, "virtual_meeting": 3}
# Channels that arrive whenever the customer writes or calls, and the share outside opening hours.
AFTER_HOURS = {"email": 0.3, "web_form": 0.35, "social_media": 0.4, "voicemail": 0.5}
PURPOSES = {"information": 34, "tangible_service": 20, "issue_or_complaint": 16, "payment": 13,
            "approval": 11, "consultation": 6}
DEPARTMENT_WEIGHT = {"public-works": 3.0, "community": 2.0, "legislative": 1.6,
                     "corporate": 1.4, "planning": 1.3, "cao": 0.7}
MONTH_WEIGHT = {1: 0.85, 2: 0.85, 3: 0.95, 4: 1.1, 5: 1.2, 6: 1.2, 7: 1.15, 8: 1.1, 9: 1.05,
                10: 1.0, 11: 0.9, 12: 0.8}
WEEKDAY_WEIGHT = {0: 1.25, 1: 1.1, 2: 1.0, 3: 1.0, 4: 0.85}
# Where walk-ins come in: most at Service Cobourg, the rest at the satellite desks.
WALK_IN_DESKS = {"victoria-hall": 0.55, "community-centre": 0.2, "marina-campground": 0.15,
                 "venture-13": 0.1}
# Local opening-hours slots (minutes after midnight) and how busy each is.
SLOTS = ((510, 540, 0.8), (540, 600, 1.3), (600, 660, 1.4), (660, 720, 1.2), (720, 780, 0.9),
         (780, 840, 1.2), (840, 900, 1.2), (900, 960, 1.0), (960, 990, 0.5))
# Resolved at first contact: by channel, then scaled by purpose.
FIRST_CONTACT = {"telephone": 0.72, "in_person": 0.75, "missed_call": 0.55, "voicemail": 0.5,
                 "email": 0.5, "web_form": 0.22, "social_media": 0.15, "virtual_meeting": 0.4,
                 "written": 0.0}
FIRST_CONTACT_BY_PURPOSE = {"information": 1.35, "payment": 1.25, "tangible_service": 0.55,
                            "issue_or_complaint": 0.45, "approval": 0.2, "consultation": 0.7}
# Business hours from hand-over to resolution, by purpose.
RESOLUTION_HOURS = {"information": (2, 24), "payment": (2, 20), "tangible_service": (8, 100),
                    "issue_or_complaint": (16, 110), "approval": (24, 180),
                    "consultation": (24, 150)}
# When the first response is owed, in business hours (section 4.2).
FIRST_RESPONSE_HOURS = {"missed_call": 8, "voicemail": 16, "email": 16, "social_media": 16,
                        "web_form": 16, "written": 40}
# Who a department most often hands a misrouted matter to.
RELATED = {"public-works": ("community", "legislative", "planning"),
           "community": ("public-works", "legislative"),
           "legislative": ("public-works", "community", "planning"),
           "planning": ("public-works", "cao", "legislative"),
           "corporate": ("legislative", "public-works"),
           "cao": ("planning", "legislative", "corporate")}
