"""The MFA keyring from the environment: one-line errors that never carry key material."""
from __future__ import annotations

import base64
import secrets

import pytest

from spine_harness.mfa.keys import KEYRING_VAR, VERSION_VAR, Keyring, KeyringError, from_environ


def _b64(n: int = 32) -> str:
    return base64.b64encode(secrets.token_bytes(n)).decode()


def test_a_single_key_is_current_without_a_version():
    key = _b64()
    keyring = from_environ({KEYRING_VAR: f"3:{key}"})
    assert keyring.current == 3 and keyring.key(3) == base64.b64decode(key)


def test_the_version_variable_picks_the_sealing_key():
    keyring = from_environ({KEYRING_VAR: f"1:{_b64()}, 2:{_b64()}", VERSION_VAR: "2"})
    assert keyring.versions == (1, 2) and keyring.current == 2


def test_environ_round_trips():
    keyring = Keyring.generate().with_key(2)
    assert from_environ(keyring.environ()) == keyring


@pytest.mark.parametrize("environ, says", [
    ({}, "is not set"),
    ({KEYRING_VAR: "   "}, "is not set"),
    ({KEYRING_VAR: "c2VjcmV0"}, "is not 'version:base64'"),
    ({KEYRING_VAR: "one:c2VjcmV0"}, "whole number"),
    ({KEYRING_VAR: "0:c2VjcmV0"}, "whole number"),
    ({KEYRING_VAR: "1:not base64!"}, "not valid base64"),
    ({KEYRING_VAR: "1:" + base64.b64encode(b"sixteen byte key").decode()}, "decodes to 16 bytes"),
    ({KEYRING_VAR: f"1:{_b64()},1:{_b64()}"}, "twice"),
    ({KEYRING_VAR: f"1:{_b64()},2:{_b64()}"}, f"{VERSION_VAR} is not set"),
    ({KEYRING_VAR: f"1:{_b64()}", VERSION_VAR: "2"}, "has only version(s) 1"),
])
def test_bad_keyrings_get_a_one_line_error_without_the_key(environ, says):
    with pytest.raises(KeyringError) as caught:
        from_environ(environ)
    message = str(caught.value)
    assert says in message and "\n" not in message, message
    for entry in environ.get(KEYRING_VAR, "").split(","):
        encoded = entry.partition(":")[2].strip()
        assert not encoded or encoded not in message, f"the message quotes key material: {message}"


def test_a_keyring_never_shows_its_keys():
    keyring = Keyring.generate()
    key = keyring.key(1)
    shown = repr(keyring) + str(keyring)
    assert key.hex() not in shown and base64.b64encode(key).decode() not in shown and repr(key) not in shown, shown


def test_an_unknown_version_names_the_version_not_the_keys():
    with pytest.raises(KeyringError, match="no key for version 7"):
        Keyring.generate().key(7)
