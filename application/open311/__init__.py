"""The public channel: Open311 apps' keys, the requests they submit, and what anyone may read
of a case (its status, its department, the promises that apply, the notes staff published),
never anyone's personal information.

Requests arrive as cases on the web channel, recorded by the app's actor
(`open311:<app name>`, see `application.access.public_client`); the resident's name, email and
phone go on the case's contact, the place and media on a `ServiceRequestRecord` beside it.

The modules: `keys` (apps' API keys), `services` (what may be requested), `submission` (POST
Service Request), `public_requests` (GET Service Requests), `status` (any case by reference, and
published notes); `notice` and `aggregates` serve them.
"""

from application.open311.keys import (
    Client,
    IssuedKey,
    authenticate,
    issue_api_key,
    list_api_keys,
    revoke_api_key,
)
from application.open311.notice import Names, service_notice
from application.open311.public_requests import (
    JURISDICTION_ID,
    MAX_RESULTS,
    OPEN311_STATUS,
    WINDOW,
    PublicRequest,
    is_public_client_case,
    list_requests,
    request_view,
    requests_by_id,
    token_reference,
)
from application.open311.services import PublicService, public_service, public_services
from application.open311.status import (
    Promise,
    PublicNote,
    PublicStatus,
    public_status,
    publish_note,
)
from application.open311.submission import (
    DEFAULT_PURPOSE,
    SUBJECT_LIMIT,
    RequestForm,
    Submitted,
    submit_request,
)

__all__ = [
    "DEFAULT_PURPOSE",
    "JURISDICTION_ID",
    "MAX_RESULTS",
    "OPEN311_STATUS",
    "SUBJECT_LIMIT",
    "WINDOW",
    "Client",
    "IssuedKey",
    "Names",
    "Promise",
    "PublicNote",
    "PublicRequest",
    "PublicService",
    "PublicStatus",
    "RequestForm",
    "Submitted",
    "authenticate",
    "is_public_client_case",
    "issue_api_key",
    "list_api_keys",
    "list_requests",
    "public_service",
    "public_services",
    "public_status",
    "publish_note",
    "request_view",
    "requests_by_id",
    "revoke_api_key",
    "service_notice",
    "submit_request",
    "token_reference",
]
