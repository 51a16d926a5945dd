"""The sealing keys, from the environment, with versions so keys can be rotated.

SPINE_MFA_KEYRING holds every key a service may still need to open a row, as comma-separated
`version:base64` pairs (32 random bytes each, e.g. `openssl rand -base64 32`);
SPINE_MFA_KEY_VERSION says which one seals new secrets (needed once there is more than one).
Rotation is: add the new key everywhere, switch the version, re-seal, then drop the old key.

Key bytes never appear in a repr, a message or an exception: errors name the variable and the
version, never the value.
"""
from __future__ import annotations

import base64
import binascii
import dataclasses
import secrets
from collections.abc import Mapping

KEYRING_VAR = "SPINE_MFA_KEYRING"
VERSION_VAR = "SPINE_MFA_KEY_VERSION"
KEY_BYTES = 32                 # AES-256
MAX_VERSION = 32767            # user_totp.key_version is a smallint


class KeyringError(ValueError):
    """The keyring is missing or malformed; the message is one line and holds no key material."""


@dataclasses.dataclass(frozen=True)
class Keyring:
    keys: Mapping[int, bytes] = dataclasses.field(repr=False)
    current: int

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise KeyringError(f"{VERSION_VAR} is {self.current} but {KEYRING_VAR} has only "
                               f"version(s) {_versions(self.keys)}")

    def key(self, version: int) -> bytes:
        try:
            return self.keys[version]
        except KeyError:
            raise KeyringError(f"no key for version {version} in {KEYRING_VAR} (it has "
                               f"{_versions(self.keys)}): add the old key back until rows are re-sealed") from None

    @property
    def versions(self) -> tuple[int, ...]:
        return tuple(sorted(self.keys))

    def with_key(self, version: int, key: bytes | None = None, *, current: bool = True) -> "Keyring":
        """This keyring plus one key (a fresh random one unless given): the first step of a rotation."""
        keys = dict(self.keys) | {version: key if key is not None else secrets.token_bytes(KEY_BYTES)}
        return Keyring(keys, version if current else self.current)

    def current_only(self) -> "Keyring":
        """This keyring without its old keys: the last step of a rotation, once every row is re-sealed."""
        return Keyring({self.current: self.keys[self.current]}, self.current)

    def environ(self) -> dict[str, str]:
        """The variables that describe this keyring (SPINE_MFA_KEYRING, SPINE_MFA_KEY_VERSION)."""
        ring = ",".join(f"{v}:{base64.b64encode(k).decode()}" for v, k in sorted(self.keys.items()))
        return {KEYRING_VAR: ring, VERSION_VAR: str(self.current)}

    def as_settings(self) -> dict[str, str]:
        """The same as Settings fields, to hand this keyring to another process's run."""
        env = self.environ()
        return {"mfa_keyring": env[KEYRING_VAR], "mfa_key_version": env[VERSION_VAR]}

    @classmethod
    def generate(cls, version: int = 1) -> "Keyring":
        """A fresh one-key keyring, for tests and for a local target that has no deployment key."""
        return cls({version: secrets.token_bytes(KEY_BYTES)}, version)


def _versions(keys: Mapping[int, bytes]) -> str:
    return ", ".join(map(str, sorted(keys))) or "none"


def _version(text: str, where: str) -> int:
    if not text.strip().isdigit() or not 0 < int(text) <= MAX_VERSION:
        raise KeyringError(f"{where}: a key version is a whole number from 1 to {MAX_VERSION}")
    return int(text)


def from_settings(settings) -> Keyring:
    """The keyring the run's settings give (SPINE_MFA_KEYRING / SPINE_MFA_KEY_VERSION)."""
    return from_environ({KEYRING_VAR: settings.mfa_keyring or "", VERSION_VAR: settings.mfa_key_version or ""})


def from_environ(environ: Mapping[str, str]) -> Keyring:
    """A keyring from variables named as SPINE_MFA_KEYRING and SPINE_MFA_KEY_VERSION."""
    ring = environ.get(KEYRING_VAR, "").strip()
    if not ring:
        raise KeyringError(f"{KEYRING_VAR} is not set: give the TOTP sealing keys as comma-separated "
                           "'version:base64' pairs of 32 random bytes (e.g. `openssl rand -base64 32`)")
    keys: dict[int, bytes] = {}
    for n, entry in enumerate(ring.split(","), start=1):
        version_text, sep, encoded = entry.strip().partition(":")
        if not sep:
            raise KeyringError(f"{KEYRING_VAR} entry {n} is not 'version:base64'")
        version = _version(version_text, f"{KEYRING_VAR} entry {n}")
        if version in keys:
            raise KeyringError(f"{KEYRING_VAR} gives key version {version} twice")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise KeyringError(f"{KEYRING_VAR} key version {version} is not valid base64") from None
        if len(key) != KEY_BYTES:
            raise KeyringError(f"{KEYRING_VAR} key version {version} decodes to {len(key)} bytes; "
                               f"AES-256-GCM needs exactly {KEY_BYTES}")
        keys[version] = key
    current_text = environ.get(VERSION_VAR, "").strip()
    if current_text:
        current = _version(current_text, VERSION_VAR)
    elif len(keys) == 1:
        current = next(iter(keys))
    else:
        raise KeyringError(f"{VERSION_VAR} is not set and {KEYRING_VAR} holds versions {_versions(keys)}: "
                           "say which one seals new secrets")
    return Keyring(keys, current)
