"""The published development secret signs and verifies tokens only in development mode, only on
a loopback address and a database on this machine; otherwise a key must be configured."""

from __future__ import annotations

import pytest

from infrastructure.settings import Settings
from infrastructure.signing_keys import (
    DEVELOPMENT_SECRET,
    NoSigningKey,
    check_serving,
    is_loopback,
    token_secret,
    verification_key,
)

SECRET = "s" * 32


class TestWhichKey:
    def test_without_a_secret_or_development_mode_there_is_no_key(self) -> None:
        with pytest.raises(NoSigningKey, match="no token signing key: set CIVICDESK_JWT_SECRET"):
            verification_key(Settings())

    def test_development_mode_uses_the_published_secret(self) -> None:
        assert token_secret(Settings(dev=True)) == DEVELOPMENT_SECRET

    def test_a_configured_secret_wins_over_development_mode(self) -> None:
        assert token_secret(Settings(dev=True, jwt_secret=SECRET)) == SECRET

    def test_a_public_key_verifies_instead_of_the_secret(self) -> None:
        assert verification_key(Settings(jwt_public_key="PEM", jwt_secret=SECRET)) == "PEM"


class TestServing:
    @pytest.mark.parametrize("host", ["0.0.0.0", "::", "127.0.0.1", "10.1.2.3"])
    def test_a_configured_secret_serves_on_any_address(self, host: str) -> None:
        check_serving(Settings(jwt_secret=SECRET), host)

    @pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
    def test_development_mode_serves_on_a_loopback_address(self, host: str) -> None:
        check_serving(Settings(dev=True), host)

    @pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "desk.invalid"])
    def test_development_mode_is_refused_on_any_other_address(self, host: str) -> None:
        with pytest.raises(NoSigningKey, match="serves only on a loopback address"):
            check_serving(Settings(dev=True), host)

    def test_development_mode_is_refused_even_with_a_secret_off_loopback(self) -> None:
        with pytest.raises(NoSigningKey, match="loopback"):
            check_serving(Settings(dev=True, jwt_secret=SECRET), "0.0.0.0")

    def test_development_mode_is_refused_on_a_database_of_another_machine(self) -> None:
        settings = Settings(dev=True, database_url="postgresql://desk@db.internal:5432/town")
        with pytest.raises(NoSigningKey, match=r"database on this machine, not on 'db\.internal'"):
            check_serving(settings, "127.0.0.1")

    def test_development_mode_accepts_a_local_postgresql(self) -> None:
        check_serving(Settings(dev=True, database_url="postgresql://root@127.0.0.1/test"),
                      "127.0.0.1")

    def test_without_a_key_serving_is_refused_with_what_to_set(self) -> None:
        with pytest.raises(NoSigningKey, match=r"CIVICDESK_JWT_SECRET .* or "
                                               r"CIVICDESK_JWT_PUBLIC_KEY .*--dev"):
            check_serving(Settings(), "127.0.0.1")


def test_an_unresolvable_name_is_not_loopback() -> None:
    assert not is_loopback("no-such-host.invalid")
