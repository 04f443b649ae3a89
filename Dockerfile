# civicdesk: the API, projection runners and deadline scheduler in one unprivileged process.
# Build: docker build -t civicdesk .
# Run:   docker run -p 8000:8000 -v civicdesk-data:/var/lib/civicdesk \
#          -e CIVICDESK_JWT_SECRET="$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')" \
#          -e CIVICDESK_CHECKPOINT_KEY="$(cat checkpoint-signer.key)" \
#          -e CIVICDESK_MASTER_KEY="$(cat master.key)" civicdesk
#
# Required: a token key. Either CIVICDESK_JWT_SECRET (at least 32 bytes; civicdesk token signs
# with it) or CIVICDESK_JWT_PUBLIC_KEY with CIVICDESK_JWT_ALGORITHM (your identity provider's
# PEM public key, e.g. RS256). Without one the container exits at once with code 2 and says
# so. Also required: the Ed25519 key that signs the log's checkpoints, CIVICDESK_CHECKPOINT_KEY
# (the key) or CIVICDESK_CHECKPOINT_KEY_FILE (a mounted secret file), made once with
# `civicdesk checkpoint-key`; without it the container exits with code 2 too. Ship the
# checkpoint directory (CIVICDESK_CHECKPOINT_DIR) off the machine: it is the auditors' copy.
# Also required: the master key that wraps every customer's data key, CIVICDESK_MASTER_KEY or
# CIVICDESK_MASTER_KEY_FILE (32 random bytes in base64: python3 -c 'import base64, secrets;
# print(base64.b64encode(secrets.token_bytes(32)).decode())'); without it, exit code 2. Keep
# it, and its copies, away from the database's backups: it is what makes erasure final.
# Development mode (CIVICDESK_DEV) cannot work here: it is refused on 0.0.0.0.
# For production also: CIVICDESK_DATABASE_URL (postgresql://...) and CIVICDESK_DATABASE_SCHEMA;
# without them the data is a SQLite file in the volume. civicdesk speaks plain HTTP: put a
# reverse proxy that terminates TLS in front of port 8000. README.md lists every setting.
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

# The locked dependencies first, each checked against its hash, so an image built next year
# runs (and renders reports with) exactly the versions tested; this layer is rebuilt only
# when the lock changes. Every one ships as a wheel for this platform (psycopg[binary] brings
# its own libpq), so no compiler is needed.
COPY requirements.lock /tmp/civicdesk/
RUN pip install --require-hashes -r /tmp/civicdesk/requirements.lock

# Then civicdesk itself, with --no-deps: nothing outside the lock. README.md is part of the
# package metadata.
COPY pyproject.toml README.md /tmp/civicdesk/
COPY domain /tmp/civicdesk/domain
COPY application /tmp/civicdesk/application
COPY engine /tmp/civicdesk/engine
COPY projections /tmp/civicdesk/projections
COPY api /tmp/civicdesk/api
COPY infrastructure /tmp/civicdesk/infrastructure
RUN pip install --no-deps /tmp/civicdesk && rm -rf /tmp/civicdesk

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
