"""Attachments in S3-compatible object storage: the same store contract as the directory, on a
real S3 API (moto's server, in this process, over HTTP), and `civicdesk verify` holding the
bucket's objects to the log."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from uuid import uuid4

import boto3
import pytest
from moto.server import ThreadedMotoServer

from application.attachments import Upload, attach_file
from application.commands import ReceiveCase
from application.desk import ServiceDesk
from domain.actors import Actor, Role
from infrastructure.file_store import attachment_store
from infrastructure.object_store import ObjectFileStore
from infrastructure.settings import Settings
from tests.api.test_attachments import png
from tests.command_line import civicdesk
from tests.e2e.civicdesk_server import free_port

CSR = Actor(id="csr-1", role=Role.CSR)
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "civicdesk-test", "AWS_SECRET_ACCESS_KEY": "not-a-secret",
               "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """An S3-compatible server with an empty bucket: its address and the bucket's name (a
    new one each test: the server's buckets outlive it within this process)."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    url, bucket = f"http://127.0.0.1:{port}", f"civicdesk-{uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=url).create_bucket(Bucket=bucket)
    yield url, bucket
    server.stop()


def test_a_file_is_kept_under_its_hash_and_read_back(endpoint: tuple[str, str]) -> None:
    url, bucket = endpoint
    store = ObjectFileStore(bucket, endpoint_url=url, prefix="town/")
    digest = store.put(b"%PDF-1.4 letter")
    assert store.put(b"%PDF-1.4 letter") == digest  # the same bytes are kept once
    assert store.get(digest) == b"%PDF-1.4 letter"
    assert store.get("0" * 64) is None
    keys = [o["Key"] for o in boto3.client("s3", endpoint_url=url).list_objects_v2(
        Bucket=bucket)["Contents"]]
    assert keys == [f"town/{digest[:2]}/{digest[2:4]}/{digest}"]


def test_verify_holds_the_bucket_to_the_log(settings: Settings, desk: ServiceDesk,
                                            endpoint: tuple[str, str]) -> None:
    # given a desk keeping attachments in the bucket, and a case with a photo there
    url, bucket = endpoint
    s3 = dataclasses.replace(settings, attachments_s3_bucket=bucket,
                             attachments_s3_endpoint=url)
    store = attachment_store(s3)
    assert isinstance(store, ObjectFileStore)
    case = desk.handle(CSR, ReceiveCase(channel="email", purpose="tangible_service",
                                        department="public-works", subject="Pothole",
                                        description="Photo attached")).case
    kept = attach_file(desk, CSR, case.id, Upload(name="pothole.png", data=png()), store)
    stored = kept.case.attachments[-1]["stored_sha256"]
    env = {"CIVICDESK_ATTACHMENTS_S3_BUCKET": bucket,
           "CIVICDESK_ATTACHMENTS_S3_ENDPOINT": url, **CREDENTIALS}
    # then verify finds it matching
    result = civicdesk(settings, "verify", **env)
    assert result.returncode == 0, result.stderr
    assert "OK: attachments: 1 files match the log" in result.stdout
    # when someone with access to the bucket replaces the object's bytes
    boto3.client("s3", endpoint_url=url).put_object(
        Bucket=bucket, Key=store.key_of(stored), Body=b"something else")
    # then verify names it
    result = civicdesk(settings, "verify", **env)
    assert result.returncode == 1
    assert f"attachment 1 of {case.reference}" in result.stderr
    assert "no longer match the recorded SHA-256" in result.stderr
