"""The deployment's `.env`: writing one with fresh secrets from `.env.example`, and judging one.

The rules for the JWT secret and the API keys are tokens.py's; this module knows which other
variables are secrets, how long each must be, and how an env file relates to `.env.example`.
Every message names the variable, never its value.
"""
from __future__ import annotations

import dataclasses
import os
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from spine_harness.keys import asymmetric, tokens
from spine_harness.deployment.envfile import parse_env
from spine_harness.config.paths import STATE_DIR

ENV_EXAMPLE = ".env.example"
ENV_FILE = ".env"
BACKUP_DIR = STATE_DIR / "backups"


@dataclasses.dataclass(frozen=True)
class Secret:
    name: str
    min_length: int
    make: Callable[[], str]
    exact_length: bool = False     # Supavisor's VAULT_ENC_KEY must be exactly 32 characters


def _random(nbytes: int) -> Callable[[], str]:
    return lambda: secrets.token_urlsafe(nbytes)


# The secrets generate-secrets fills in besides the JWT secret and the two keys it signs.
# URL-safe characters only: several of them end up inside postgres:// URLs.
SECRETS: dict[str, Secret] = {s.name: s for s in (
    Secret("JWT_SECRET", tokens.MIN_JWT_SECRET_LENGTH, _random(48)),
    Secret("POSTGRES_PASSWORD", 32, _random(30)),
    Secret("DASHBOARD_PASSWORD", 24, _random(24)),
    Secret("SECRET_KEY_BASE", 64, _random(48)),
    Secret("VAULT_ENC_KEY", 32, _random(24), exact_length=True),
    Secret("PG_META_CRYPTO_KEY", 32, _random(24)),
    Secret("LOGFLARE_PUBLIC_ACCESS_TOKEN", 32, _random(24)),
    Secret("LOGFLARE_PRIVATE_ACCESS_TOKEN", 32, _random(24)),
)}
API_KEYS = tuple(tokens.API_KEY_ROLES)        # ANON_KEY, SERVICE_ROLE_KEY
KEY_MODEL_VARIABLES = asymmetric.KEY_VARIABLES  # JWT_KEYS, JWT_JWKS, the opaque and internal keys
GENERATED = (*SECRETS, *API_KEYS, *KEY_MODEL_VARIABLES)
# Services that may hold GoTrue's private signing key: GoTrue alone.
SIGNING_KEY_HOLDERS = ("auth",)

_ASSIGNMENT = re.compile(r"^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)(\s*=\s*)(.*)$")


class EnvFileExists(FileExistsError):
    """Refusing to overwrite a deployment's .env without being told to."""


def secret_problem(name: str, env: dict[str, str]) -> str | None:
    """Why the deployment's value of secret `name` is unfit, or None."""
    spec = SECRETS[name]
    try:
        tokens.check_secret(name, env.get(name), spec.min_length)
    except tokens.SecretRejected as exc:
        return str(exc)
    if spec.exact_length and len(env[name]) != spec.min_length:
        return f"{name} has {len(env[name])} characters; exactly {spec.min_length} are required"
    return None


def api_key_problem(name: str, env: dict[str, str], *, now: int | None = None) -> str | None:
    """Why ANON_KEY or SERVICE_ROLE_KEY is unfit for this JWT_SECRET, or None."""
    if (why := secret_problem("JWT_SECRET", env)) is not None:
        return f"{name} cannot be trusted: {why}"
    try:
        tokens.check_api_key(name, env.get(name), env["JWT_SECRET"], now=now)
    except tokens.SecretRejected as exc:
        return str(exc)
    if env.get("ANON_KEY") == env.get("SERVICE_ROLE_KEY"):
        return "SERVICE_ROLE_KEY is the same as ANON_KEY"
    return None


def key_model_problems(env: dict[str, str]) -> list[str]:
    """The key model beside JWT_SECRET, judged whichever it is: GoTrue's keys (a JSON array,
    one EC P-256 signing key at most, the legacy secret kept), the verifiers' JWKS (the signing
    key's public half, no private material), the opaque keys' shape, and, where the model is
    asymmetric, the internal ES256 keys the gateway translates opaque keys into."""
    secret = env.get("JWT_SECRET")
    found = []
    try:
        signer = asymmetric.check_signing_keys(env.get("JWT_KEYS") or "[]", secret)
    except tokens.SecretRejected as exc:
        return [str(exc)]
    try:
        asymmetric.check_jwks("JWT_JWKS", asymmetric.parse_json("JWT_JWKS", env.get("JWT_JWKS"), dict), signer,
                              published=False, secret=secret)
    except tokens.SecretRejected as exc:
        found.append(str(exc))
    for name in asymmetric.OPAQUE_PREFIXES:
        try:
            asymmetric.check_opaque_key(name, env.get(name))
        except tokens.SecretRejected as exc:
            found.append(str(exc))
    if env.get("SUPABASE_PUBLISHABLE_KEY") and env.get("SUPABASE_PUBLISHABLE_KEY") == env.get("SUPABASE_SECRET_KEY"):
        found.append("SUPABASE_SECRET_KEY is the same as SUPABASE_PUBLISHABLE_KEY")
    for name in asymmetric.INTERNAL_KEYS:
        if signer is None:
            if env.get(name):
                found.append(f"{name} is set but JWT_KEYS holds no signing key to have signed it")
            continue
        try:
            asymmetric.check_internal_key(name, env.get(name), signer)
        except tokens.SecretRejected as exc:
            found.append(str(exc))
    return found


def signing_key_leaks(services: dict, env: dict[str, str]) -> list[str]:
    """`service: VARIABLE` for every environment value outside GoTrue's that carries the private
    signing key (its `d`, or GoTrue's whole key array). `services` maps names to environments."""
    signer = asymmetric.signer_of(env.get("JWT_KEYS"), env.get("JWT_SECRET"))
    if signer is None:
        return []
    private = signer.private_jwk()["d"]
    return [f"{service}: {variable}" for service, environment in sorted(services.items())
            if service not in SIGNING_KEY_HOLDERS for variable, value in sorted(environment.items())
            if value and (private in str(value))]


def missing_variables(env: dict[str, str], example: dict[str, str], required: set[str]) -> list[str]:
    """One line per variable of .env.example the env lacks, or leaves empty though Compose needs it."""
    found = [f"{name} is not set (.env.example declares it)" for name in example if name not in env]
    found += [f"{name} is {'empty' if name in env else 'not set'}; the compose file requires it"
              for name in sorted(required) if not env.get(name) and (name in env or name not in example)]
    return found


def public_defaults(env: dict[str, str]) -> list[str]:
    """Upstream defaults pasted into variables that are not checked as secrets (SMTP_PASS...)."""
    return [f"{name} holds the public {which}" for name, value in env.items()
            if name not in GENERATED and value and (which := tokens.known_default(value))]


def problems(env: dict[str, str], example: dict[str, str], required: set[str], *, now: int | None = None) -> list[str]:
    """Everything wrong with a deployment's env, one line each."""
    found = missing_variables(env, example, required) + public_defaults(env)
    found += [p for name in SECRETS if (p := secret_problem(name, env))]
    found += [p for name in API_KEYS if (p := api_key_problem(name, env, now=now))]
    return found + key_model_problems(env)


def fresh_secrets(*, now: int | None = None, keys: str = "legacy") -> dict[str, str]:
    """A new value for every generated variable; keys signed HS256 with the new JWT_SECRET, and
    the key model's variables (`keys`: legacy, or asymmetric with an EC P-256 signing key)."""
    values = {}
    for name, spec in SECRETS.items():
        while True:   # a random draw can, rarely, contain a weak word: draw again
            candidate = spec.make()
            if secret_problem(name, {name: candidate}) is None:
                values[name] = candidate
                break
    for name, role in tokens.API_KEY_ROLES.items():
        values[name] = tokens.mint_api_key(values["JWT_SECRET"], role, now=now)
    return values | asymmetric.key_variables(keys, values["JWT_SECRET"], now=now)


def render(example_text: str, values: dict[str, str]) -> str:
    """`.env.example` with the given variables' values replaced; comments and order kept."""
    unused = set(values)
    lines = []
    for line in example_text.splitlines():
        m = _ASSIGNMENT.match(line)
        if m and m[2] in values:
            line = f"{m[1]}{m[2]}{m[3]}{values[m[2]]}"
            unused.discard(m[2])
        lines.append(line)
    if unused:
        raise KeyError(f".env.example does not declare {', '.join(sorted(unused))}")
    return "\n".join(lines) + "\n"


def generate(stack_dir: Path, overrides: dict[str, str] | None = None, *, now: int | None = None,
             keys: str = "legacy") -> str:
    """The text of a new .env for the stack in `stack_dir`, in key model `keys`."""
    example = (Path(stack_dir) / ENV_EXAMPLE).read_text()
    return render(example, fresh_secrets(now=now, keys=keys) | (overrides or {}))


def write(path: Path, text: str, *, force: bool = False, backup_dir: Path = BACKUP_DIR) -> Path | None:
    """Write an env file readable by its owner only. An existing one is kept unless `force`, and
    then copied to `backup_dir` first; returns the backup's path."""
    path = Path(path)
    backup = None
    if path.exists():
        if not force:
            raise EnvFileExists(f"{path} exists: keeping it (pass --force to replace it; the old one is backed up)")
        backup_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        backup = backup_dir / f"{path.name}.{time.strftime('%Y%m%d-%H%M%S')}"
        backup.write_bytes(path.read_bytes())
        backup.chmod(0o600)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    tmp.replace(path)
    return backup


def deployment_env(stack_dir: Path, keys: str = "legacy") -> tuple[dict[str, str], str]:
    """The env a deployment of `stack_dir` would run with, and where it came from: its `.env`
    if there is one, else a freshly generated one in key model `keys` (what generate-secrets
    would write)."""
    from spine_harness.runs.redaction import MASKER
    env_path = Path(stack_dir) / ENV_FILE
    if env_path.exists():
        env, source = parse_env(env_path.read_text()), str(env_path)
    else:
        env = parse_env(generate(stack_dir, keys=keys))
        source = f"a fresh {ENV_FILE} ({keys} keys) generated from {ENV_EXAMPLE}"
    MASKER.register(env.get(name) for name in GENERATED)   # whatever a run prints, these stay hidden
    return env, source
