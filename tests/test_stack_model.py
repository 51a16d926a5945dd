"""The stack's readers on small inputs: interpolation, sizes, ports, validity, init order, budget."""
from __future__ import annotations

import pytest

from spine_harness.config.paths import STACK_DIR
from spine_harness.deployment import compose, initdb_mounts, memory, pgconf, ports, validity
from spine_harness.deployment.interpolation import InterpolationError, interpolate, references


def test_interpolation_follows_compose():
    env = {"SET": "v", "EMPTY": ""}
    assert interpolate("${SET}-${UNSET:-d}-${EMPTY:-d}-${EMPTY-d}-$$SET-$SET", env) == "v-d-d--$SET-v"
    assert interpolate("${UNSET:?why}", env) == ""
    with pytest.raises(InterpolationError, match="UNSET is required: why"):
        interpolate("${UNSET:?why}", env, strict=True)
    with pytest.raises(InterpolationError, match="invalid variable reference"):
        references("${NOT VALID}")
    assert [r.name for r in references("${A:?x} $B $${C}") if r.required] == ["A"]


def test_comments_are_not_variables(tmp_path):
    (tmp_path / "docker-compose.yml").write_text("# ${IN_A_COMMENT}\nservices:\n  a: {image: 'x:${TAG}'}\n")
    assert compose.load(tmp_path).variables() == {"TAG"}


@pytest.mark.parametrize("value, mib", [("8192M", 8192), ("8g", 8192), ("512mb", 512), (1048576, 1), ("1.5G", 1536)])
def test_memory_sizes(value, mib):
    assert compose.memory_mib(value) == mib


@pytest.mark.parametrize("spec, expected", [
    ("127.0.0.1:8000:8000/tcp", compose.PublishedPort("127.0.0.1", 8000, 8000)),
    ("8000:8000", compose.PublishedPort("", 8000, 8000)),
    ("0.0.0.0:5432:5432", compose.PublishedPort("", 5432, 5432)),
    ("[::1]:6543:6543", compose.PublishedPort("::1", 6543, 6543)),
    ("3000", compose.PublishedPort("", None, 3000)),
    ({"target": 80, "published": "8080", "host_ip": "127.0.0.1"}, compose.PublishedPort("127.0.0.1", 8080, 80)),
])
def test_ports(spec, expected):
    assert compose.parse_port(spec) == expected


def test_validity_names_service_and_key(tmp_path):
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  a:\n    image: x:1\n    restart: sometimes\n    depends_on: {b: {condition: healthy}}\n"
        "    healthcheck: {test: [curl], interval: soon}\n    volumes: [data:/d]\n    colour: blue\n")
    found = "\n".join(validity.problems(compose.load(tmp_path)))
    for expected in ("services.a: restart 'sometimes'", "depends_on 'b': no such service",
                     "condition 'healthy'", "healthcheck.test: a list must start with CMD",
                     "healthcheck.interval 'soon'", "named volume 'data' is not declared",
                     "unknown key 'colour'"):
        assert expected in found


def test_init_sql_must_run_after_the_image(tmp_path):
    db = compose.load(STACK_DIR).service("db")
    assert initdb_mounts.problems(db) == []
    renamed = compose.Service("db", db.raw | {"volumes": [v.replace("99-spine-10-public", "10-public")
                                                          for v in db.raw["volumes"]]})
    found = "\n".join(initdb_mounts.problems(renamed))
    assert "name it 99-spine-10-public.sql" in found and "would run before" in found


def test_pgconf_units():
    settings = pgconf.parse("shared_buffers = 262144  # 8kB pages\nwork_mem = '4MB'\nwal_buffers = -1\n")
    assert pgconf.size_mib(settings, "shared_buffers") == 2048
    assert pgconf.size_mib(settings, "work_mem") == 4
    with pytest.raises(pgconf.ConfError, match="maintenance_work_mem is not set"):
        pgconf.size_mib(settings, "maintenance_work_mem")


def test_budget_arithmetic():
    settings = pgconf.parse("shared_buffers = 1GB\nwork_mem = 4MB\nmax_connections = 100\nmax_parallel_workers = 4\n"
                            "maintenance_work_mem = 256MB\nautovacuum_work_mem = 128MB\nautovacuum_max_workers = 2\n"
                            "wal_buffers = -1\n")
    b = memory.budget(settings, 4096)
    assert [line.mib for line in b.lines] == [1024, 4 * 104 * (1 + memory.HASH_MEM_MULTIPLIER_DEFAULT), 256, 16]
    assert b.fits and b.headroom_mib == 4096 - b.total_mib
    assert "headroom" in b.table()[-1]


def test_nginx_listen_lines(tmp_path):
    (tmp_path / "nginx").mkdir()
    (tmp_path / "nginx" / "site.conf").write_text("server { listen 443 ssl; listen [::]:80; listen 127.0.0.1:8081; }")
    found = {(o.port, o.loopback_only) for o in ports.nginx_openings(tmp_path)}
    assert found == {(443, False), (80, False), (8081, True)}
    assert "not in the architecture's ports table" in ports.port_problem(ports.Opening(8081, "x", True))
