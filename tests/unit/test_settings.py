"""Settings are read once from the environment and checked: each bad value is named with what it
must be, all of them at once, and a secret or password is never repeated back."""

from __future__ import annotations

from pathlib import Path

import pytest

from infrastructure.settings import Settings, SettingsError
from infrastructure.signing_keys import DEVELOPMENT_SECRET

SECRET = "s" * 32
# An RSA public key (2048 bits), for the identity provider's tokens.
PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo
4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u
+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyeh
kd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ
0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdg
cKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbc
mwIDAQAB
-----END PUBLIC KEY-----"""


def problems(**env: str) -> list[str]:
    with pytest.raises(SettingsError) as refused:
        Settings.from_environment(env)
    return refused.value.problems


class TestDefaults:
    def test_an_empty_environment_gives_the_documented_defaults_and_no_secret(self) -> None:
        settings = Settings.from_environment({})
        assert settings == Settings()
        assert settings.jwt_secret is None and not settings.dev
        assert (settings.data_dir, settings.host, settings.port) == (Path("var"), "127.0.0.1",
                                                                     8000)

    def test_an_empty_value_counts_as_unset(self) -> None:
        assert Settings.from_environment({"CIVICDESK_PORT": "", "CIVICDESK_JWT_SECRET": "",
                                          "CIVICDESK_DEV": ""}) == Settings()

    def test_every_variable_is_read(self) -> None:
        settings = Settings.from_environment({
            "CIVICDESK_DATA_DIR": "/srv/desk", "CIVICDESK_PORT": "9000",
            "CIVICDESK_MAX_BODY_BYTES": "2048", "CIVICDESK_RUN_SCHEDULER": "off",
            "CIVICDESK_RUN_PROJECTIONS": "No", "CIVICDESK_LOG_LEVEL": "warning",
            "CIVICDESK_DEV": "1", "CIVICDESK_JWT_SECRET": SECRET, "CIVICDESK_HOST": "::1",
            "CIVICDESK_DATABASE_URL": "postgresql://desk:pw@db:5433/town",
            "CIVICDESK_DATABASE_SCHEMA": "civicdesk", "CIVICDESK_MIN_SAMPLE": "30"})
        assert settings == Settings(
            data_dir=Path("/srv/desk"), port=9000, max_body_bytes=2048, run_scheduler=False,
            run_projections=False, log_level="WARNING", dev=True, jwt_secret=SECRET,
            host="::1", database_url="postgresql://desk:pw@db:5433/town",
            database_schema="civicdesk", min_sample=30)

    def test_shares_are_rated_from_ten_results_unless_set(self) -> None:
        assert Settings.from_environment({}).min_sample == 10


class TestRefusals:
    @pytest.mark.parametrize(("name", "value", "expected"), [
        ("CIVICDESK_PORT", "eighty", "CIVICDESK_PORT: 'eighty' is not a whole number from 1 "
                                     "to 65535"),
        ("CIVICDESK_PORT", "0", "CIVICDESK_PORT: '0' is not a whole number from 1 to 65535"),
        ("CIVICDESK_PORT", "65536", "CIVICDESK_PORT: '65536' is not a whole number"),
        ("CIVICDESK_MAX_BODY_BYTES", "-1", "CIVICDESK_MAX_BODY_BYTES: '-1' is not a whole "
                                           "number from 1024"),
        ("CIVICDESK_MIN_SAMPLE", "0", "CIVICDESK_MIN_SAMPLE: '0' is not a whole number from 1 "
                                      "to 10000"),
        ("CIVICDESK_LOG_LEVEL", "loud", "CIVICDESK_LOG_LEVEL: 'loud' is not one of DEBUG, "
                                        "INFO, WARNING, ERROR, CRITICAL"),
        ("CIVICDESK_RUN_SCHEDULER", "ture", "CIVICDESK_RUN_SCHEDULER: 'ture' is neither yes"),
        ("CIVICDESK_DEV", "maybe", "CIVICDESK_DEV: 'maybe' is neither yes"),
        ("CIVICDESK_DATABASE_URL", "mysql://db/town", "CIVICDESK_DATABASE_URL: must be a "
                                                      "postgresql://"),
        ("CIVICDESK_DATABASE_URL", "postgresql://db:port/town", "CIVICDESK_DATABASE_URL: its "
                                                                "port is not a number"),
        ("CIVICDESK_DATABASE_SCHEMA", "desk; DROP", "CIVICDESK_DATABASE_SCHEMA: 'desk; DROP' "
                                                    "is not a plain PostgreSQL schema name"),
        ("CIVICDESK_HOST", "127.0.0.1 ", "CIVICDESK_HOST: '127.0.0.1 ' is not a host"),
        ("CIVICDESK_JWT_SECRET", "x" * 31, "CIVICDESK_JWT_SECRET: is 31 bytes long; it must "
                                           "be at least 32"),
        ("CIVICDESK_JWT_SECRET", DEVELOPMENT_SECRET, "CIVICDESK_JWT_SECRET: is the "
                                                     "development secret published"),
        ("CIVICDESK_JWT_ALGORITHM", "none", "CIVICDESK_JWT_ALGORITHM: 'none' is not one of"),
        ("CIVICDESK_JWT_ALGORITHM", "RS256", "CIVICDESK_JWT_ALGORITHM: RS256 needs "
                                             "CIVICDESK_JWT_PUBLIC_KEY"),
    ])
    def test_a_bad_value_is_refused_with_a_message_naming_the_variable(
            self, name: str, value: str, expected: str) -> None:
        [problem] = problems(**{name: value})
        assert problem.startswith(expected)

    def test_every_bad_value_is_listed_at_once(self) -> None:
        found = problems(CIVICDESK_PORT="x", CIVICDESK_LOG_LEVEL="x", CIVICDESK_DEV="x")
        assert [problem.split(":")[0] for problem in found] == [
            "CIVICDESK_PORT", "CIVICDESK_LOG_LEVEL", "CIVICDESK_DEV"]

    def test_a_secret_or_password_is_never_repeated_in_the_message(self) -> None:
        found = problems(CIVICDESK_JWT_SECRET="hunter2-but-short",
                         CIVICDESK_DATABASE_URL="mysql://desk:hunter3@db/town")
        assert found and not any("hunter" in problem for problem in found)

    def test_a_multibyte_secret_is_measured_in_bytes(self) -> None:
        # 11 characters of 3 bytes each: 33 bytes, enough although only 11 characters
        assert Settings.from_environment({"CIVICDESK_JWT_SECRET": "€" * 11}).jwt_secret


class TestPublicKey:
    def test_a_public_key_with_an_asymmetric_algorithm_is_accepted(self) -> None:
        settings = Settings.from_environment({"CIVICDESK_JWT_PUBLIC_KEY": PUBLIC_KEY,
                                              "CIVICDESK_JWT_ALGORITHM": "RS256"})
        assert settings.jwt_public_key == PUBLIC_KEY

    def test_a_public_key_with_a_shared_secret_algorithm_is_refused(self) -> None:
        # HS256 with a public key would let anyone who has the public key sign tokens
        [problem] = problems(CIVICDESK_JWT_PUBLIC_KEY=PUBLIC_KEY)
        assert problem.startswith("CIVICDESK_JWT_ALGORITHM: HS256 signs with a shared secret")

    def test_a_public_key_that_does_not_parse_is_refused_at_start(self) -> None:
        [problem] = problems(CIVICDESK_JWT_PUBLIC_KEY="not a key",
                             CIVICDESK_JWT_ALGORITHM="RS256")
        assert problem.startswith("CIVICDESK_JWT_PUBLIC_KEY: is not a PEM public key for RS256")
