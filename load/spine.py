"""The Spine's traffic for Locust.

    python -m spine_harness up                 # in another terminal; or a remote target's variables
    python -m spine_harness seed --users 100000
    locust -f load/spine.py                                          # web UI on :8089
    locust -f load/spine.py --headless -u 50 -r 10 -t 1m
    locust -f load/spine.py --headless --spine-ramp 5,10,20,40,80 --spine-ramp-step 20 --slo-p95-ms 100

`--processes N` and `--master` / `--worker` work as usual; every process reads the same target
configuration (`--spine-attach FILE`, SPINE_ATTACH, or `--spine-target remote` with the remote
target's variables). The capacity report goes to reports/capacity/ (`--spine-report DIR`).

User classes whose capability the target lacks (the gateway, GoTrue) are left out with a message.
"""
import random
import uuid

import pyotp
from locust import FastHttpUser, User, constant, events, tag, task

from spine_harness.keys import tokens
from spine_harness.capacity import operations as ops
from spine_harness.capacity.client import DatabaseClient
from spine_harness.capacity.options import add_options
from spine_harness.capacity.population import user_id
from spine_harness.capacity.run import LoadSession
from spine_harness.capacity.shape import CapacityRamp  # noqa: F401  (Locust finds the shape in this module)
from spine_harness.rls.seed import MARK_DOMAIN
from spine_harness.targets import Capability

SESSION = LoadSession()
events.init_command_line_parser.add_listener(add_options)
events.init.add_listener(SESSION.on_init)


@events.init.add_listener
def _http_users_call_the_gateway(**_):
    for cls in (SpineRestUser, SpineAuthUser):
        cls.host = SESSION.target.gateway_url


def _lacks(target, *capabilities: Capability) -> str | None:
    missing = [c for c in capabilities if not target.has(c)]
    if not missing:
        return None
    return "; ".join(f"target '{target.title}' lacks the {c.value} "
                     f"({target.lacks.get(c, 'not available')}); it runs on {c.provided_by}" for c in missing)


class SpineDatabaseUser(User):
    """A service of the ecosystem talking to the database through the pooler as PostgREST does:
    `authenticator`, one transaction per request, the caller's role and claims set locally."""

    wait_time = constant(0)   # a closed loop, like pgbench: each user is one busy client connection
    uses_population = True

    @classmethod
    def unavailable_reason(cls, target):
        return _lacks(target, Capability.DATABASE, Capability.POOLER)

    def on_start(self):
        self.client = DatabaseClient(SESSION.target.api_dsn, self.environment.events)

    def on_stop(self):
        self.client.close()

    def _any_user(self) -> int:
        return random.randint(1, SESSION.population)

    @tag("profile_read")
    @task(ops.PROFILE_READ.weight)
    def profile_read(self):
        self.client.run(ops.PROFILE_READ, self._any_user())

    @tag("certificate_list")
    @task(ops.CERTIFICATE_LIST.weight)
    def certificate_list(self):
        self.client.run(ops.CERTIFICATE_LIST, self._any_user())

    @tag("signing_log_insert")
    @task(ops.SIGNING_LOG_INSERT.weight)
    def signing_log_insert(self):
        self.client.run(ops.SIGNING_LOG_INSERT, self._any_user())

    @tag("mfa_verify")
    @task(ops.MFA_VERIFY.weight)
    def mfa_verify(self):
        self.client.run(ops.MFA_VERIFY, self._any_user())


class SpineRestUser(FastHttpUser):
    """An app calling PostgREST through Kong with a user's access token."""

    wait_time = constant(0)
    uses_population = True

    @classmethod
    def unavailable_reason(cls, target):
        return _lacks(target, Capability.GATEWAY) or (
            None if target.jwt_secret and target.anon_key else
            f"target '{target.title}' gives no JWT secret and anon key to mint user tokens with")

    def on_start(self):
        index = random.randint(1, SESSION.population)
        self.user = user_id(index)
        token = tokens.mint_user_token(SESSION.target.jwt_secret, self.user)
        self.headers = {"apikey": SESSION.target.anon_key, "Authorization": f"Bearer {token}"}

    @task(ops.PROFILE_READ.weight)
    def profile_read(self):
        self.client.get(f"/rest/v1/users?id=eq.{self.user}&select=id,display_name,locale",
                        headers=self.headers, name=ops.PROFILE_READ.name)

    @task(ops.CERTIFICATE_LIST.weight)
    def certificate_list(self):
        self.client.get("/rest/v1/certificates?status=eq.active&select=id,serial_number,not_after",
                        headers=self.headers | {"Accept-Profile": "gesign"}, name=ops.CERTIFICATE_LIST.name)


class SpineAuthUser(FastHttpUser):
    """A person signing in: password login, then the TOTP second factor, through GoTrue.

    Each Locust user creates its own marked GoTrue user with the service key (GoTrue hashes the
    password and keeps the factor, so the seeded database rows cannot stand in) and deletes it
    when it stops."""

    wait_time = constant(1)

    @classmethod
    def unavailable_reason(cls, target):
        return _lacks(target, Capability.GATEWAY) or (
            None if target.service_role_key and target.anon_key else
            f"target '{target.title}' gives no service and anon keys to create sign-in users with")

    def on_start(self):
        target = SESSION.target
        self.password = uuid.uuid4().hex
        self.email = f"auth-load-{uuid.uuid4().hex[:12]}@{MARK_DOMAIN}"
        admin = {"apikey": target.service_role_key, "Authorization": f"Bearer {target.service_role_key}"}
        created = self.client.post("/auth/v1/admin/users", headers=admin, name="auth: create user",
                                   json={"email": self.email, "password": self.password, "email_confirm": True,
                                         "app_metadata": {"spine_harness": "load"}}).json()
        self.user_id = created["id"]
        self.admin = admin
        access = self._login()
        enrolled = self.client.post("/auth/v1/factors", headers=self._bearer(access), name="auth: enrol TOTP",
                                    json={"factor_type": "totp", "friendly_name": "load"}).json()
        self.factor_id, self.totp = enrolled["id"], pyotp.TOTP(enrolled["totp"]["secret"])
        self._second_factor(access)

    def on_stop(self):
        self.client.delete(f"/auth/v1/admin/users/{self.user_id}", headers=self.admin, name="auth: delete user")

    def _bearer(self, access: str) -> dict:
        return {"apikey": SESSION.target.anon_key, "Authorization": f"Bearer {access}"}

    def _login(self) -> str:
        return self.client.post("/auth/v1/token?grant_type=password", name="auth: password login",
                                headers={"apikey": SESSION.target.anon_key},
                                json={"email": self.email, "password": self.password}).json()["access_token"]

    def _second_factor(self, access: str) -> None:
        challenge = self.client.post(f"/auth/v1/factors/{self.factor_id}/challenge", headers=self._bearer(access),
                                     name="auth: MFA challenge").json()
        self.client.post(f"/auth/v1/factors/{self.factor_id}/verify", headers=self._bearer(access),
                         name="auth: MFA verify", json={"challenge_id": challenge["id"], "code": self.totp.now()})

    @task
    def sign_in(self):
        self._second_factor(self._login())
