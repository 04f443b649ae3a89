"""Open311 GeoReport v2 under /open311/v2: discovery, services, requests and tokens, each in
`.json` and `.xml`, with the specification's error format (a list of code and description)
and statuses (404 for what does not exist, 403 for a missing or wrong api_key, 400 for the
rest; 429 when a client is over its rate).

Paths carry their format as a suffix (`services.json`), and Litestar's path parameters are
whole segments, so each route takes the last segment and splits the format off itself. These
routes stay out of the OpenAPI document: GeoReport v2 is their contract, and discovery.json
is their index.

Rate limits count POST Service Request per API key and per client address, in this process
only (several server processes each allow the full rate).

The modules: `routes` (the router), `formats` and `errors` (how every answer is written),
`payloads` (what GET answers hold), `filters` (GET Service Requests' query), `form` (POST
Service Request's fields, in the charset the form declares), `rate_limit`, `routing_errors`
(Litestar's own 404 and 405 under /open311/v2, in GeoReport's format).
"""

from api.open311.rate_limit import RateLimiter
from api.open311.routes import open311_router

__all__ = ["RateLimiter", "open311_router"]
