"""The starting service catalogue is Appendix IV of the strategy, complete and well-formed."""

from __future__ import annotations

from collections import Counter

from infrastructure.catalogue_seed import load_appendix_iv

# Hand count of Appendix IV, business unit by business unit, in appendix order. Rows the PDF
# conversion split over two lines count once; the "Department: Corporate Services" fragment
# repeated after By-law Enforcement (IT Services again, plus the first 7 Finance rows) is a
# duplicated page, not new activities, so it adds nothing.
#
#   Office of the CAO          Human Resources 5, Fire Services 6, Communications 6      = 17
#   Corporate Services         Information Technology Services 5, Finance 10,
#                              Facilities Maintenance 3                                  = 18
#   Community Services         Cobourg Community Centre 8, Recreation and Waterfront 8,
#                              Parks 6, Culture 4                                        = 26
#   Public Works               Engineering and Capital Projects 5, Roads and Sewers 3,
#                              Transit 4                                                 = 12
#   Planning and Development   Planning 6, Economic Development 8, Building 5            = 19
#   Legislative Services       Legal 5, Clerks 6, Accessibility and EDI 5,
#                              By-law Enforcement 5                                      = 21
#                                                               6 departments, 20 units, 113
HAND_COUNT_BY_UNIT = {
    "Human Resources": 5,
    "Fire Services": 6,
    "Communications": 6,
    "Information Technology Services": 5,
    "Finance": 10,
    "Facilities Maintenance": 3,
    "Cobourg Community Centre": 8,
    "Recreation and Waterfront": 8,
    "Parks": 6,
    "Culture": 4,
    "Engineering and Capital Projects": 5,
    "Roads and Sewers": 3,
    "Transit": 4,
    "Planning": 6,
    "Economic Development": 8,
    "Building": 5,
    "Legal": 5,
    "Clerks": 6,
    "Accessibility and EDI": 5,
    "By-law Enforcement": 5,
}
HAND_COUNT_TOTAL = 113

ALLOWED_TYPES = {"service_delivery", "service_support", "internal"}
ALLOWED_PURPOSES = {
    None,
    "information",
    "issue_or_complaint",
    "payment",
    "approval",
    "tangible_service",
    "consultation",
}


def test_every_department_of_the_appendix_is_present_with_its_exact_name() -> None:
    # given the packaged Appendix IV catalogue
    # when it is loaded
    departments, _, _ = load_appendix_iv()
    # then the six departments appear in appendix order, with the appendix's names
    assert [(d.code, d.name) for d in departments] == [
        ("cao", "Office of the CAO"),
        ("corporate", "Corporate Services"),
        ("community", "Community Services"),
        ("public-works", "Public Works"),
        ("planning", "Planning and Development"),
        ("legislative", "Legislative Services"),
    ]


def test_every_business_unit_is_present_once_under_its_department() -> None:
    # given the packaged catalogue
    # when it is loaded
    departments, _, _ = load_appendix_iv()
    # then each department lists exactly the business units of the appendix, none repeated
    names = [name for d in departments for _, name in d.business_units]
    assert names == list(HAND_COUNT_BY_UNIT)
    for department in departments:
        for code, _ in department.business_units:
            assert code.startswith(department.code + "-")


def test_the_number_of_service_activities_matches_the_hand_count_of_the_appendix() -> None:
    # given the packaged catalogue
    # when it is loaded
    _, services, _ = load_appendix_iv()
    # then every business unit has as many activities as counted by hand, 113 in all
    assert dict(Counter(s.business_unit_name for s in services)) == HAND_COUNT_BY_UNIT
    assert len(services) == HAND_COUNT_TOTAL


def test_codes_are_unique_and_follow_the_unit_and_appendix_order() -> None:
    # given the packaged catalogue
    # when it is loaded
    departments, services, desks = load_appendix_iv()
    # then no code of any kind is used twice
    codes = (
        [d.code for d in departments]
        + [code for d in departments for code, _ in d.business_units]
        + [s.code for s in services]
        + [d.code for d in desks]
    )
    assert len(codes) == len(set(codes))
    # and service codes number each unit's activities 01, 02, ... in appendix order
    seen: Counter[str] = Counter()
    for service in services:
        seen[service.business_unit_code] += 1
        expected = f"{service.business_unit_code}-{seen[service.business_unit_code]:02d}"
        assert service.code == expected
        assert service.business_unit_code.startswith(service.department_code + "-")


def test_an_activity_listed_twice_in_one_unit_is_kept_twice_under_different_codes() -> None:
    # given Finance lists "Provide Information and Support for Customer Inquiries" twice
    _, services, _ = load_appendix_iv()
    # when the Finance rows with that name are selected
    inquiries = [
        s
        for s in services
        if s.business_unit_code == "corporate-finance"
        and s.name == "Provide Information and Support for Customer Inquiries"
    ]
    # then both are there, one individual and one cross-functional
    assert [(s.code, s.sub_type) for s in inquiries] == [
        ("corporate-finance-01", "individual"),
        ("corporate-finance-08", "cross_functional"),
    ]


def test_rows_the_pdf_conversion_split_are_joined_into_their_full_names() -> None:
    # given the packaged catalogue
    # when it is loaded
    _, services, _ = load_appendix_iv()
    by_code = {s.code: s for s in services}
    # then each activity that ran onto a second line carries its whole name
    assert by_code["cao-fire-03"].name == (
        "Perform Fire-Safe Inspections for Permit / "
        "License Applications to Commercial and Residential Customers"
    )
    assert by_code["cao-fire-03"].purpose == "approval"
    assert by_code["corporate-finance-03"].name == (
        "Manage Billing, Payments / Collection and Administration of Property "
        "Taxes and Rebates / Deferrals"
    )
    assert by_code["corporate-facilities-02"].name == (
        "Own the End-to-End Maintenance and Asset Management in all Municipal "
        "Facilities (at the Individual Facility Level)"
    )
    assert by_code["planning-planning-06"].name == (
        "Facilitate Public Consultations to Gather Input and Feedback when Developing Plans"
    )
    assert by_code["legislative-legal-04"].name == (
        "Prepare Development & Non-Development Agreements / Documents (incl. Licenses and Leases)"
    )
    # and no continuation fragment survives as an activity of its own
    names = {s.name for s in services}
    assert "Taxes and Rebates / Deferrals" not in names
    assert not any(set(name) <= {"-"} for name in names)


def test_every_type_and_purpose_is_in_the_allowed_vocabulary() -> None:
    # given the packaged catalogue
    # when it is loaded
    _, services, _ = load_appendix_iv()
    # then types and purposes use only the agreed values (None stands for the appendix's N/A)
    assert {s.type for s in services} <= ALLOWED_TYPES
    assert {s.purpose for s in services} <= ALLOWED_PURPOSES
    assert {s.sub_type for s in services} == {
        "individual",
        "cross_functional",
        "sub_contracted",
        "not_applicable",
    }


def test_internal_activities_are_part_of_the_catalogue() -> None:
    # given the packaged catalogue
    # when it is loaded
    _, services, _ = load_appendix_iv()
    # then internal rows are kept, e.g. all of Human Resources
    hr = [s for s in services if s.business_unit_code == "cao-hr"]
    assert len(hr) == 5
    assert {s.type for s in hr} == {"internal"}
    assert all(s.purpose is None for s in hr)


def test_the_four_service_desks_are_present_and_only_victoria_hall_is_central() -> None:
    # given the packaged catalogue
    # when its desks are loaded
    _, _, desks = load_appendix_iv()
    # then the four desks that stay open are listed, Service Cobourg being the central one
    assert [(d.code, d.name, d.central) for d in desks] == [
        ("victoria-hall", "Victoria Hall (Service Cobourg)", True),
        ("community-centre", "Cobourg Community Centre", False),
        ("venture-13", "Venture 13", False),
        ("marina-campground", "Marina and Campground", False),
    ]
