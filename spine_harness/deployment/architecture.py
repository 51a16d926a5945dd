"""The architecture's numbers, written once: the services of the Spine with their memory limits
and reservations, the box they share, and the ports table. The static suite holds the compose
file to these; the capacity report measures against them."""
from __future__ import annotations

import dataclasses

BOX_MEMORY_MIB = 16 * 1024        # the server: 6 vCPU / 16 GB
OS_HEADROOM_MIB = 1536            # kernel, page cache floor, sshd, nginx, docker itself
DB_MEMORY_LIMIT_MIB = 8 * 1024


@dataclasses.dataclass(frozen=True)
class Service:
    name: str
    limit_mib: int
    reservation_mib: int
    role: str


SERVICES: dict[str, Service] = {s.name: s for s in (
    Service("db", 8192, 6144, "PostgreSQL 15"),
    Service("supavisor", 2048, 1024, "connection pooler (5432 session, 6543 transaction)"),
    Service("kong", 512, 256, "API gateway"),
    Service("auth", 512, 256, "GoTrue"),
    Service("rest", 512, 256, "PostgREST"),
    Service("realtime", 512, 256, "Realtime"),
    Service("storage", 512, 256, "Storage API"),
    Service("analytics", 512, 256, "Logflare"),
    Service("imgproxy", 256, 128, "image transformation"),
    Service("meta", 256, 128, "postgres-meta"),
    Service("studio", 512, 256, "Studio dashboard"),
    Service("vector", 256, 128, "log shipping"),
)}


@dataclasses.dataclass(frozen=True)
class Port:
    number: int
    service: str
    exposure: str   # "public", "allowlist" (ALLOWED_DB_IPS only), "loopback", "internal"


PORTS: tuple[Port, ...] = (
    Port(22, "sshd", "public"),
    Port(80, "nginx (redirect to https)", "public"),
    Port(443, "nginx (TLS edge)", "public"),
    Port(5432, "supavisor session mode", "allowlist"),
    Port(6543, "supavisor transaction mode", "allowlist"),
    Port(8000, "kong http", "loopback"),
    Port(8443, "kong https", "loopback"),
    Port(3000, "studio", "internal"),
)
PUBLIC_PORTS = tuple(p.number for p in PORTS if p.exposure == "public")
ALLOWLIST_PORTS = tuple(p.number for p in PORTS if p.exposure == "allowlist")

# Gateway routes that are open by design (no apikey): GoTrue's browser redirects and JWKS, and
# Storage, which checks the JWT itself.
DOCUMENTED_OPEN_ROUTES = ("/auth/v1/verify", "/auth/v1/callback", "/auth/v1/authorize",
                          "/auth/v1/.well-known/jwks.json", "/storage/v1/")
