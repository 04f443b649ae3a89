"""What people say and write in the demo's cases: subjects, resolutions, reasons, findings."""

SUBJECTS = {
    "information": ("Question about {s}", "Looking for information: {s}", "Who handles {s}?"),
    "issue_or_complaint": ("Problem with {s}", "Concern about {s}", "Unhappy with {s}"),
    "payment": ("Payment for {s}", "Question about a bill: {s}", "Refund request: {s}"),
    "approval": ("Application: {s}", "Permit or licence request: {s}",
                 "Status of my application: {s}"),
    "tangible_service": ("Service request: {s}", "Please arrange: {s}", "Booking: {s}"),
    "consultation": ("Comment for the consultation: {s}", "Input on {s}",
                     "Public meeting question: {s}"),
}
RESOLUTIONS = {
    "information": ("Answered the question and sent the link to the Town's page.",
                    "Explained the process, the fees and the forms needed."),
    "issue_or_complaint": ("Crew fixed the problem; the customer was told when.",
                           "Explained the decision and the reasons for it; apologised.",
                           "Corrected the error and confirmed with the customer."),
    "payment": ("Payment processed; receipt emailed.", "Explained the balance; set up a plan."),
    "approval": ("Application approved; permit issued.",
                 "Application refused with reasons and the appeal route.",
                 "Application complete; approval letter sent."),
    "tangible_service": ("Work order completed.", "Booking confirmed.",
                         "Service carried out on the agreed date."),
    "consultation": ("Comments recorded for the staff report to council.",
                     "Answered questions; added the customer to the notification list."),
}
WAIT_REASONS = {
    "approval": "Asked for the missing site plan and owner's authorisation.",
    "payment": "Asked for the account number shown on the bill.",
    "issue_or_complaint": "Asked for photos and the exact location.",
}
ACCOMMODATIONS = (
    ("Large-print letters", "Sent the response in 18-point print."),
    ("ASL interpreter for the meeting", "Booked an ASL interpreter for the meeting."),
    ("Uses a wheelchair: accessible meeting room",
     "Met in the ground-floor room at Victoria Hall."),
    ("Screen reader: accessible documents", "Sent tagged PDF and plain-text versions."),
    ("Prefers a telephone call to written replies", "Staff called instead of writing."),
)
ESCALATION_REASONS = {
    "department_manager": ("Customer not satisfied with the front-line response.",
                           "No resolution within the promised time."),
    "director": ("Customer disputes the manager's decision.",),
    "cao": ("Customer asks for a review by the CAO.",),
    "ombudsman": ("Customer filed a complaint with the Ontario Ombudsman.",),
}
DEBRIEF_CAUSES = ("Unclear responsibility between departments.",
                  "The service standard was not explained to the customer.",
                  "Work order backlog after a storm.", "Policy applied inconsistently.",
                  "Information on the Town's website was out of date.")
DEBRIEF_ACTIONS = ("Updated the web page and the CSR knowledge base.",
                   "Clarified ownership in the service catalogue.",
                   "Coaching for staff; a follow-up call added to the process.",
                   "Asked council for a policy clarification.")
SURVEY_COMMENTS = ("", "", "", "Quick and friendly.", "Took too long.",
                   "Had to explain my issue twice.", "Staff were helpful.")
