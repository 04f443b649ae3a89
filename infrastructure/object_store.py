"""The attachment file store in S3-compatible object storage (AWS S3, MinIO, Ceph, a cloud
provider's S3 API), the option to the local directory (infrastructure.file_store): chosen by
`CIVICDESK_ATTACHMENTS_S3_BUCKET`, reached at `CIVICDESK_ATTACHMENTS_S3_ENDPOINT` (unset: AWS
itself), with credentials from boto3's usual chain (AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY, a profile, or the machine's role), never from civicdesk's settings.

Objects are named as the directory names files (`<prefix>ab/cd/<sha256>`), written once: the
same guarantees hold (an object is complete before the event naming it is recorded; `verify`
checks its bytes against the log)."""

from __future__ import annotations

import hashlib
from typing import Any

import boto3  # type: ignore[import-untyped]
from botocore.exceptions import ClientError  # type: ignore[import-untyped]

MISSING = {"404", "NoSuchKey", "NotFound"}


class ObjectFileStore:
    def __init__(self, bucket: str, *, endpoint_url: str | None = None, prefix: str = "",
                 client: Any = None) -> None:
        self.bucket, self.prefix = bucket, prefix
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url)

    def key_of(self, digest: str) -> str:
        return f"{self.prefix}{digest[:2]}/{digest[2:4]}/{digest}"

    def put(self, data: bytes) -> str:
        """Keep `data`; returns its SHA-256 (hex), its name in the store. S3 answers a PUT only
        once the object is stored durably, and ChecksumSHA256 makes it refuse bytes damaged on
        the way."""
        digest = hashlib.sha256(data).hexdigest()
        if self._exists(digest):
            return digest
        self.client.put_object(Bucket=self.bucket, Key=self.key_of(digest), Body=data,
                               ChecksumAlgorithm="SHA256")
        return digest

    def get(self, digest: str) -> bytes | None:
        """The object's bytes as they are now (None if there is no such object)."""
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.key_of(digest))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in MISSING:
                return None
            raise
        data: bytes = answer["Body"].read()
        return data

    def _exists(self, digest: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key_of(digest))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in MISSING:
                return False
            raise
        return True
