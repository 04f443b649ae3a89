# civicdesk: the API, projection runners and deadline scheduler in one unprivileged process.
# Build: docker build -t civicdesk .
# Run:   docker run -p 8000:8000 -v civicdesk-data:/var/lib/civicdesk \
#          -e CIVICDESK_JWT_SECRET=... civicdesk
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed numeric id, so orchestrators can check runAsNonRoot and volumes can be chowned to it.
RUN groupadd --system --gid 10001 civicdesk \
    && useradd --system --uid 10001 --gid civicdesk --no-create-home \
       --home-dir /var/lib/civicdesk --shell /usr/sbin/nologin civicdesk \
    && mkdir -p /var/lib/civicdesk \
    && chown civicdesk:civicdesk /var/lib/civicdesk

# Every dependency ships as a wheel for this platform (psycopg[binary] brings its own libpq),
# so no compiler is needed. README.md is part of the package metadata.
COPY pyproject.toml README.md /tmp/civicdesk/
COPY domain /tmp/civicdesk/domain
COPY application /tmp/civicdesk/application
COPY projections /tmp/civicdesk/projections
COPY api /tmp/civicdesk/api
COPY infrastructure /tmp/civicdesk/infrastructure
RUN pip install /tmp/civicdesk && rm -rf /tmp/civicdesk

# The embedded SQLite database lives in the volume; set CIVICDESK_DATABASE_URL for PostgreSQL.
ENV CIVICDESK_DATA_DIR=/var/lib/civicdesk \
    CIVICDESK_HOST=0.0.0.0 \
    CIVICDESK_PORT=8000
VOLUME ["/var/lib/civicdesk"]
WORKDIR /var/lib/civicdesk
USER 10001:10001
EXPOSE 8000

# The slim image has no curl: ask /health with the standard library (a non-2xx answer or no
# answer raises, which exits non-zero).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('CIVICDESK_PORT', '8000'), timeout=4)"]

CMD ["civicdesk", "serve"]
