"""The container definition runs the commands CI runs: compose.yaml's services, the
Dockerfile and the Makefile's targets all start ``python -m config.prod <role>``
(tests/ops/test_serve.py and test_worker.py start them). No image is built here (no
registry to pull from): the files are read and checked."""

from __future__ import annotations

import re

import yaml

from ..conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()
CADDYFILE = (ROOT / "deploy" / "Caddyfile").read_text()
PROD = ["python", "-m", "config.prod"]


def make_recipe(target: str) -> list[str]:
    match = re.search(rf"^{target}:.*\n\t(.+)$", MAKEFILE, re.MULTILINE)
    assert match, target
    return match.group(1).split()


def test_compose_has_every_service_with_health_checks():
    assert {"web", "worker", "beat", "postgres", "redis", "proxy", "release"} <= set(SERVICES)
    for name in ("web", "worker", "postgres", "redis", "proxy"):
        assert SERVICES[name]["healthcheck"]["test"][0] == "CMD", name
    assert SERVICES["web"]["healthcheck"]["test"][1:] == [*PROD, "probe"]
    assert SERVICES["worker"]["healthcheck"]["test"][1:] == [
        *PROD, "probe", "--port", SERVICES["worker"]["environment"]["WORKER_METRICS_PORT"],
        "--path", "/metrics"]


def test_compose_commands_are_the_makefile_targets_and_the_image_command():
    targets = {"web": "serve", "worker": "worker", "beat": "beat", "release": "release"}
    for role, target in targets.items():
        assert SERVICES[role]["command"] == [*PROD, role]
        # `$(BIN)/python -m config.prod <role>`: the same program with the venv's python.
        recipe = make_recipe(target)
        assert recipe[0] == "$(BIN)/python" and recipe[1:] == [*PROD[1:], role]
    assert 'CMD ["python", "-m", "config.prod", "web"]' in DOCKERFILE


def test_app_services_share_the_production_environment_and_wait_for_their_dependencies():
    for role in ("web", "worker", "beat", "release"):
        service = SERVICES[role]
        environment = service["environment"]
        assert environment["DJANGO_ENV"] == "production"
        assert environment["LOG_FORMAT"] == "json"
        assert environment["CELERY_BROKER_URL"].startswith("redis://redis:")
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
    for role in ("web", "worker", "beat"):
        assert SERVICES[role]["depends_on"]["release"]["condition"] == \
            "service_completed_successfully"
    assert SERVICES["release"]["restart"] == "no"


def test_the_image_is_multi_stage_non_root_with_a_health_check():
    stages = re.findall(r"^FROM \S+ AS (\w+)$", DOCKERFILE, re.MULTILINE)
    assert stages == ["build", "runtime"]
    runtime = DOCKERFILE.split(" AS runtime", 1)[1]
    assert "build-essential" not in runtime  # compilers stay in the build stage
    assert "COPY --from=build /wheels" in runtime
    user = re.search(r"^USER (\S+)$", runtime, re.MULTILINE)
    assert user and user.group(1) not in ("root", "0")
    assert re.search(r'^HEALTHCHECK .*\n\s+CMD \["python", "-m", "config.prod", "probe"\]',
                     runtime, re.MULTILINE)
    assert "collectstatic" in runtime
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", ".data", ".env"} <= set(ignored)


def test_the_proxy_serves_every_sub_domain_and_keeps_metrics_inside():
    proxy = SERVICES["proxy"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
    assert "{$BASE_DOMAIN}, *.{$BASE_DOMAIN} {" in CADDYFILE
    assert "reverse_proxy web:8000" in CADDYFILE
    assert re.search(r"@internal path /metrics /metrics/\* /health/ready", CADDYFILE)
    assert "respond @internal 404" in CADDYFILE
    assert "health_uri /health/ready" in CADDYFILE
