"""Settings fail closed: HAVEN_ENV must be said, and production refuses every known-bad
secret with a message naming the variable, before anything starts."""

from __future__ import annotations

import base64
import os
import signal
import subprocess

import pytest

from shared.config import DEVELOPMENT_KEYS, Settings
from shared.embedded import token_banner
from shared.secret_checks import SettingsRefused
from shared.signing import new_pair
from shared.testing import haven_script
from tests.platform import tokens

pytestmark = pytest.mark.no_servers
HAVEN = haven_script()


def _key(raw: bytes | None = None) -> str:
    return base64.urlsafe_b64encode(raw if raw is not None else os.urandom(32)).decode()


def production(**changes: str | None) -> dict[str, str]:
    """What a service in production is given (deploy_files.secrets_for), with `changes`;
    None removes a variable."""
    _, public = new_pair()
    env = {"HAVEN_ENV": "production", "HAVEN_MASTER_KEY": _key(),
           "HAVEN_BLIND_INDEX_KEY": _key(), "HAVEN_TOKEN_PUBLIC_KEY": public,
           "HAVEN_POSTGRES_URL": "postgresql://haven:pw-8f2d@postgres:5432/haven",
           "HAVEN_AMQP_URI": "amqp://haven-casework:pw-19ac@rabbitmq:5672/haven"}
    env.update({k: v for k, v in changes.items() if v is not None})
    return {k: v for k, v in env.items() if changes.get(k, "") is not None}


def refusal(env: dict[str, str]) -> str:
    """The message a service process would stop with."""
    with pytest.raises(SettingsRefused) as refused:
        Settings.from_env(env).require_production_secrets()
    assert refused.value.code != 0  # uncaught, the process exits with it as the reason
    return str(refused.value)


def test_a_complete_production_environment_starts():
    """The control: each refusal below is caused by the one change it makes."""
    cfg = Settings.from_env(production())
    cfg.require_production_secrets()
    assert cfg.environment == "production" and not cfg.dev_secrets
    assert cfg.token_signing_key is None and not cfg.development_tokens


@pytest.mark.parametrize("value", [None, "", "prod", "Production", "dev", "staging"])
def test_haven_env_must_say_production_or_development(value):
    env = production(HAVEN_ENV=value) if value is not None else production(HAVEN_ENV=None)
    message = refusal(env)
    assert message.startswith("HAVEN_ENV must be set to production or development")
    assert ("unset" if value is None else repr(value)) in message


PLACEHOLDERS = ("REPLACE-ME", "REPLACE-ME-random-48-bytes", "REPLACE-ME-32-bytes-urlsafe-base64")


@pytest.mark.parametrize("placeholder", PLACEHOLDERS)
@pytest.mark.parametrize("variable", ["HAVEN_MASTER_KEY", "HAVEN_BLIND_INDEX_KEY",
                                      "HAVEN_TOKEN_PUBLIC_KEY", "HAVEN_TOKEN_SIGNING_KEY"])
def test_production_refuses_a_placeholder(variable, placeholder):
    message = refusal(production(**{variable: placeholder}))
    assert message.startswith(f"{variable} still holds the placeholder REPLACE-ME")


def test_a_placeholder_inside_a_url_is_refused_too():
    message = refusal(production(
        HAVEN_POSTGRES_URL="postgresql://haven:REPLACE-ME@postgres:5432/haven"))
    assert message.startswith("HAVEN_POSTGRES_URL still holds the placeholder")
    assert "REPLACE-ME@" not in message  # the URL itself is not repeated


@pytest.mark.parametrize("value", [
    _key(os.urandom(31)),  # one byte short
    _key(os.urandom(16)),
    "x",  # one character
    _key(b"a" * 32),  # 32 bytes, but not random
    _key(bytes(range(8)) * 4),  # a counter, repeated
], ids=["31-random-bytes", "16-random-bytes", "one-character", "32-equal-bytes",
        "repeated-counter"])
@pytest.mark.parametrize("variable", ["HAVEN_MASTER_KEY", "HAVEN_BLIND_INDEX_KEY"])
def test_production_refuses_a_secret_under_32_random_bytes(variable, value):
    assert refusal(production(**{variable: value})).startswith(
        f"{variable} is not 32 random bytes")


@pytest.mark.parametrize("value", [_key(os.urandom(31)), "x", "not base64 at all!"])
def test_production_refuses_a_signing_key_that_is_not_an_ed25519_seed(value):
    assert refusal(production(HAVEN_TOKEN_SIGNING_KEY=value)).startswith(
        "HAVEN_TOKEN_SIGNING_KEY cannot be read")


def _development_value(variable: str) -> str:
    return _key(DEVELOPMENT_KEYS[variable])


@pytest.mark.parametrize("variable", sorted(DEVELOPMENT_KEYS))
def test_production_refuses_the_development_keys_set_explicitly(variable):
    message = refusal(production(**{variable: _development_value(variable)}))
    assert message.startswith(f"{variable} is the development key of this repository")


def test_the_development_key_is_refused_in_pem_form_too():
    from cryptography.hazmat.primitives import serialization

    from shared.signing import signer

    pem = signer(DEVELOPMENT_KEYS["HAVEN_TOKEN_SIGNING_KEY"]).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    assert refusal(production(HAVEN_TOKEN_SIGNING_KEY=pem)).startswith(
        "HAVEN_TOKEN_SIGNING_KEY is the development key")


@pytest.mark.parametrize("other", ["HAVEN_BLIND_INDEX_KEY", "HAVEN_PREVIOUS_MASTER_KEYS",
                                   "HAVEN_CHECKPOINT_SIGNING_KEY", "HAVEN_TOKEN_SIGNING_KEY"])
def test_production_refuses_a_master_key_equal_to_another_key(other):
    master = _key()
    message = refusal(production(HAVEN_MASTER_KEY=master, **{other: master}))
    assert message.startswith("HAVEN_MASTER_KEY equals ")
    assert other in message


def test_production_refuses_any_two_keys_alike():
    shared = _key()
    message = refusal(production(HAVEN_BLIND_INDEX_KEY=shared,
                                 HAVEN_CHECKPOINT_SIGNING_KEY=shared))
    assert "HAVEN_BLIND_INDEX_KEY" in message and "HAVEN_CHECKPOINT_SIGNING_KEY" in message


def test_the_retired_shared_token_secret_is_refused():
    message = refusal(production(HAVEN_TOKEN_SECRET="a-long-shared-secret-" * 3))
    assert message.startswith("HAVEN_TOKEN_SECRET is set")


@pytest.mark.parametrize("missing", ["HAVEN_TOKEN_PUBLIC_KEY", "HAVEN_MASTER_KEY",
                                     "HAVEN_BLIND_INDEX_KEY"])
def test_a_service_in_production_needs_its_keys(missing):
    assert missing in refusal(production(**{missing: None}))


def test_a_service_in_production_may_not_hold_the_token_signing_key():
    signing, public = new_pair()
    message = refusal(production(HAVEN_TOKEN_SIGNING_KEY=signing, HAVEN_TOKEN_PUBLIC_KEY=public))
    assert message.startswith("HAVEN_TOKEN_SIGNING_KEY is set: only the token issuer holds it")


def test_a_front_needs_no_data_keys_but_the_public_key():
    front = production(HAVEN_MASTER_KEY=None, HAVEN_BLIND_INDEX_KEY=None)
    Settings.from_env(front).require_production_secrets(keys=False)
    with pytest.raises(SettingsRefused, match="HAVEN_TOKEN_PUBLIC_KEY"):
        Settings.from_env({**front, "HAVEN_TOKEN_PUBLIC_KEY": ""}).require_production_secrets(
            keys=False)


def test_the_broker_default_user_is_refused_in_production():
    message = refusal(production(HAVEN_AMQP_URI="amqp://guest:guest@rabbitmq:5672/haven"))
    assert message.startswith("HAVEN_AMQP_URI logs in as RabbitMQ's default user")


@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
def test_production_without_a_broker_uri_refuses_instead_of_using_guest(value):
    """Unset, the broker URI used to fall back to guest@localhost: a shared user whose
    messages every consumer would take for anyone's."""
    env = production(HAVEN_AMQP_URI=None) if value is None else production(HAVEN_AMQP_URI=value)
    assert Settings.from_env(env).amqp_uri == ""
    message = refusal(env)
    assert message.startswith("HAVEN_AMQP_URI is not set")
    assert "guest" not in Settings.from_env({"HAVEN_ENV": "production"}).amqp_uri
    # development keeps its local default
    assert Settings.from_env({"HAVEN_ENV": "development"}).amqp_uri.startswith("amqp://guest")


def test_development_runs_on_the_development_keys_but_names_a_malformed_one():
    cfg = Settings.from_env({"HAVEN_ENV": "development"})
    assert cfg.dev_secrets and cfg.development_tokens
    with pytest.raises(SettingsRefused, match="^HAVEN_MASTER_KEY must be 32 bytes"):
        Settings.from_env({"HAVEN_ENV": "development", "HAVEN_MASTER_KEY": "REPLACE-ME"})


@pytest.mark.parametrize("seconds", ["31", "-1", "3600"])
def test_a_revocation_cache_that_would_outlive_a_minute_is_refused(seconds):
    with pytest.raises(SettingsRefused, match="^HAVEN_TOKEN_REVOCATION_CACHE_SECONDS"):
        Settings.from_env({"HAVEN_ENV": "development",
                           "HAVEN_TOKEN_REVOCATION_CACHE_SECONDS": seconds})


# -- real processes ------------------------------------------------------------------------------
def _haven(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`haven ...` as an operator starts it: this environment and nothing else of ours."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith("HAVEN_")}
    return subprocess.run([HAVEN, *args], env={**keep, **env}, capture_output=True, text=True,
                          timeout=120)


ONE_KEY = _key()
START_REFUSALS = [
    (production(HAVEN_ENV=None), "HAVEN_ENV must be set"),
    (production(HAVEN_ENV="prod"), "HAVEN_ENV must be set"),
    (production(HAVEN_MASTER_KEY="REPLACE-ME"), "HAVEN_MASTER_KEY still holds the placeholder"),
    (production(HAVEN_TOKEN_PUBLIC_KEY="REPLACE-ME-random-48-bytes"),
     "HAVEN_TOKEN_PUBLIC_KEY still holds the placeholder"),
    (production(HAVEN_BLIND_INDEX_KEY="c2hvcnQ"), "HAVEN_BLIND_INDEX_KEY is not 32 random bytes"),
    (production(HAVEN_MASTER_KEY=_development_value("HAVEN_MASTER_KEY")),
     "HAVEN_MASTER_KEY is the development key"),
    (production(HAVEN_TOKEN_PUBLIC_KEY=_development_value("HAVEN_TOKEN_PUBLIC_KEY")),
     "HAVEN_TOKEN_PUBLIC_KEY is the development key"),
    (production(HAVEN_BLIND_INDEX_KEY=ONE_KEY, HAVEN_MASTER_KEY=ONE_KEY),
     "HAVEN_MASTER_KEY equals HAVEN_BLIND_INDEX_KEY"),
    (production(HAVEN_AMQP_URI=None), "HAVEN_AMQP_URI is not set"),
]


@pytest.mark.parametrize("env, message", START_REFUSALS,
                         ids=["env-unset", "env-prod", "placeholder", "k8s-placeholder",
                              "short-secret", "development-master-key",
                              "development-token-key", "master-equals-index",
                              "broker-uri-unset"])
def test_a_service_process_refuses_to_start(env, message):
    started = _haven("run", "casework", env=env)
    assert started.returncode == 1, started.stderr
    assert started.stderr.strip().splitlines()[-1].startswith(message), started.stderr
    assert "Traceback" not in started.stderr  # a message for the operator, not a crash
    assert "started" not in started.stderr + started.stdout


def test_a_relay_without_a_broker_uri_refuses_to_start():
    started = _haven("relay", "casework", env=production(HAVEN_AMQP_URI=None))
    assert started.returncode == 1, started.stderr
    assert started.stderr.strip().splitlines()[-1].startswith("HAVEN_AMQP_URI is not set")
    assert "Traceback" not in started.stderr


@pytest.mark.parametrize("environment", ["production", "prod"])
def test_haven_dev_refuses_production_settings_before_starting_anything(tmp_path, environment):
    ran = _haven("dev", "--data-dir", str(tmp_path), "--port", "9", env={
        **production(), "HAVEN_ENV": environment})
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert ran.stderr.strip().splitlines()[-1].startswith(
        "haven dev runs only with HAVEN_ENV=development"), ran.stderr
    assert "Haven is running" not in ran.stdout and "eyJ" not in ran.stdout + ran.stderr
    assert not any(tmp_path.iterdir()), "nothing may be created before the refusal"


def test_haven_dev_prints_tokens_signed_with_the_development_key_only():
    from shared.auth import MAX_TTL, ROLES, verify_token

    lines = token_banner(Settings.from_env({"HAVEN_ENV": "development"}))
    printed = dict(line.split() for line in lines[1:])
    assert set(printed) == set(ROLES)
    for role, token in printed.items():
        principal = verify_token(token, tokens.DEV_PUBLIC, lambda jti: False)
        assert principal.roles == (role,)
    assert f"valid {MAX_TTL // 3600} h" in lines[0]
    signing, public = new_pair()
    own_key = Settings.from_env({"HAVEN_ENV": "development", "HAVEN_TOKEN_SIGNING_KEY": signing,
                                 "HAVEN_TOKEN_PUBLIC_KEY": public})
    (line,) = token_banner(own_key)
    assert "none printed" in line and "haven token issue" in line and "eyJ" not in line


@pytest.mark.slow
def test_haven_dev_with_a_key_of_its_own_starts_but_prints_no_token(tmp_path):
    """The real process: with any signing key but the development one, the banner holds no
    token (each would be a real credential, printed to a terminal and its scrollback)."""
    from tests.gateway_fixtures import free_port

    signing, public = new_pair()
    keep = {k: v for k, v in os.environ.items() if not k.startswith("HAVEN_")}
    proc = subprocess.Popen(
        [HAVEN, "dev", "--no-demo", "--data-dir", str(tmp_path), "--port", str(free_port())],
        env={**keep, "HAVEN_ENV": "development", "HAVEN_TOKEN_SIGNING_KEY": signing,
             "HAVEN_TOKEN_PUBLIC_KEY": public},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        banner: list[str] = []
        while not banner or "Ctrl-C stops." not in banner[-1]:
            banner.append(proc.stdout.readline())
            assert banner[-1], "haven dev ended before printing its banner: " + "".join(banner)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    text = "".join(banner)
    assert "Haven is running" in text
    assert "Tokens: none printed" in text and "eyJ" not in text
