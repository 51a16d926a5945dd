"""The JWT attack catalogue and the opaque-key checks, proven against the double in both key
models: every attack is refused on /rest/v1, /auth/v1, /storage/v1 and /realtime/v1 as
configured (and the attacker's loopback key server is never fetched), and each check fails when
the double's token rules are broken the way it guards against."""
from __future__ import annotations

import json

import pytest

from spine_harness.gateway import attacker_server
from spine_harness.gateway.attacks import ALL_ATTACKS, ASYMMETRIC_ATTACKS, attacker_jwks
from spine_harness.gateway.checks import (APIS, OPAQUE_KEYS, check_attack, check_opaque_apikey_keeps_user,
                                          check_published_jwks, check_sb_key_only_in_authorization,
                                          check_secret_key_refused_in_browser)
from spine_harness.keys import asymmetric
from tests.gateway_double import BREAKAGES, failing, forge_for, seeded, serving_double

MODELS = ("legacy", "asymmetric")
CASES = [(attack, api) for attack in ALL_ATTACKS for api in attack.apis]


def case_id(case) -> str:
    attack, api = case
    return f"{attack.name}-{api}"


def in_model(target, model: str):
    """The local target in the given key model (asymmetric: a fresh EC key and its JWKS)."""
    if model == "legacy":
        return target
    values = asymmetric.key_variables("asymmetric", target.jwt_secret)
    keys = json.loads(values["JWT_KEYS"])
    return target.replace(jwt_keys=values["JWT_KEYS"], jwks=json.dumps(asymmetric.published_jwks(keys)),
                          publishable_key=values["SUPABASE_PUBLISHABLE_KEY"], secret_key=values["SUPABASE_SECRET_KEY"])


@pytest.fixture(scope="module")
def seed(local_spine):
    with seeded(local_spine.target()) as rows:
        yield rows


@pytest.fixture(scope="module")
def attacker():
    with attacker_server.serving(attacker_jwks()) as server:
        yield server


@pytest.fixture(scope="module", params=MODELS)
def model(request):
    return request.param


@pytest.fixture(scope="module")
def served(local_spine, model, seed, attacker):
    target = in_model(local_spine.target(), model)
    with serving_double(target) as (gw, double):
        yield gw, forge_for(target, double, seed.users["owner"], seed.users["other"], attacker), target


def applicable(forge):
    return [c for c in CASES if c[0].applies_to(forge)]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_attack_refused_as_configured(served, case):
    gw, forge, _ = served
    if not case[0].applies_to(forge):
        pytest.skip(f"{case[0].name} needs the asymmetric model's published key")
    check_attack(gw, *case, forge)


def test_attacker_server_never_fetched(served, attacker):
    assert attacker.fetched() == []


def test_case_counts():
    """What the report quotes: attacks per route in each key model."""
    per_api = {api: (sum(1 for a in ALL_ATTACKS if api in a.apis and not a.needs_public_key),
                     sum(1 for a in ALL_ATTACKS if api in a.apis)) for api in APIS}
    assert per_api == {"rest": (31, 32), "auth": (31, 32), "storage": (28, 29), "realtime": (28, 29)}
    assert len(ASYMMETRIC_ATTACKS) == 9


@pytest.mark.parametrize("which", OPAQUE_KEYS)
@pytest.mark.parametrize("api", APIS)
def test_sb_key_only_in_authorization_refused(served, which, api):
    check_sb_key_only_in_authorization(served[0], which, api)


@pytest.mark.parametrize("api", ("auth", "rest"))
def test_opaque_apikey_keeps_user(served, seed, api):
    check_opaque_apikey_keeps_user(served[0], seed.users["owner"], api)


@pytest.mark.parametrize("api", APIS)
def test_secret_key_refused_in_browser(served, api):
    check_secret_key_refused_in_browser(served[0], api)


def test_published_jwks_passes(served):
    check_published_jwks(served[0])


# --- the checks catch each breakage --------------------------------------------------------------

def _every_api(*names):
    return {case_id(c) for c in CASES if c[0].name in names}


ATTACK_BREAKAGES = [
    ("legacy", "accepts_alg_none", _every_api(*(f"alg_{c}" for c in ("none", "None", "NONE", "nOnE"))), set()),
    ("legacy", "accepts_expired", _every_api("expired"), set()),
    ("asymmetric", "follows_jku", _every_api("jku_attacker_server"), set()),
    ("asymmetric", "trusts_embedded_jwk", _every_api("embedded_jwk_es256"), _every_api("injected_jwk")),
    ("asymmetric", "hmac_with_public_key", _every_api("alg_confusion_public_key"), set()),
    ("asymmetric", "skips_es256_signature", _every_api("es256_zero_signature"), _every_api("embedded_jwk_es256")),
    ("asymmetric", "keeps_rotated_key", _every_api("rotated_out_key"), set()),
]


@pytest.mark.parametrize(("model_name", "breakage", "must_fail", "may_fail"), ATTACK_BREAKAGES,
                         ids=[b[1] for b in ATTACK_BREAKAGES])
def test_attack_checks_catch(model_name, breakage, must_fail, may_fail, local_spine, seed):
    target = in_model(local_spine.target(), model_name)
    with attacker_server.serving(attacker_jwks()) as server, \
            serving_double(target, BREAKAGES[breakage]) as (gw, double):
        forge = forge_for(target, double, seed.users["owner"], seed.users["other"], server)
        failed = failing(lambda case: check_attack(gw, *case, forge), applicable(forge), case_id)
    assert must_fail <= failed, f"{BREAKAGES[breakage].breaks}: {sorted(must_fail - failed)} did not fail"
    assert failed <= must_fail | may_fail, f"{BREAKAGES[breakage].breaks}: unrelated checks failed: {sorted(failed - must_fail - may_fail)}"


OPAQUE_BREAKAGES = [
    ("accepts_sb_bearer", lambda gw, seed: failing(lambda c: check_sb_key_only_in_authorization(gw, *c),
                                                   [(w, a) for w in OPAQUE_KEYS for a in ("rest", "auth")], str)),
    ("opaque_overrides_user", lambda gw, seed: failing(lambda a: check_opaque_apikey_keeps_user(gw, seed.users["owner"], a),
                                                       ["auth", "rest"], str)),
    ("secret_key_in_browser", lambda gw, seed: failing(lambda a: check_secret_key_refused_in_browser(gw, a), APIS, str)),
    ("publishes_oct", lambda gw, seed: failing(lambda _: check_published_jwks(gw), ["jwks"], str)),
    ("publishes_private", lambda gw, seed: failing(lambda _: check_published_jwks(gw), ["jwks"], str)),
]


@pytest.mark.parametrize(("breakage", "run"), OPAQUE_BREAKAGES, ids=[b[0] for b in OPAQUE_BREAKAGES])
def test_opaque_checks_catch(breakage, run, local_spine, seed):
    target = in_model(local_spine.target(), "asymmetric")
    with serving_double(target, BREAKAGES[breakage]) as (gw, _):
        assert run(gw, seed), f"{BREAKAGES[breakage].breaks}: no check failed"
