"""A real S3 API server for the tests: moto's standalone server, run as a process on
127.0.0.1. tests/conftest.py puts tests/fault_proxy.py in front of it for a test
to cut and restore.

The portal talks to it through django-storages and boto3 as it would to any
bucket: nothing in boto3 is patched. Cutting the proxy makes the bucket
unreachable (connections refused) while the server, and what it stores, stays.
"""

import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tests.ports import free_port

REGION = "eu-west-1"
ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"  # moto accepts any key pair


class S3Server:
    """`python -m moto.server` on a free port of 127.0.0.1, until stop()."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._log = log_path.open("w")
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.endpoint_url, timeout=1):  # noqa: S310 (loopback)
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"moto server did not start: see {log_path}") from None
                time.sleep(0.1)

    def client(self, endpoint_url: str | None = None) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=endpoint_url or self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 1}),
        )

    def new_bucket(self) -> str:
        """A fresh, empty, private bucket; its name."""
        name = f"documents-{secrets.token_hex(4)}"
        self.client().create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        return name

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def storage_setting(endpoint_url: str, bucket: str) -> dict[str, Any]:
    """STORAGES["documents"] for this bucket, as portal/settings.py builds it from AWS_*."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url,
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
            "region_name": REGION,
            "default_acl": None,
            "querystring_auth": True,
            "client_config": Config(
                s3={"addressing_style": "path"},
                signature_version="s3v4",
                connect_timeout=2,
                read_timeout=5,
                retries={"mode": "standard", "max_attempts": 1},
            ),
        },
    }
