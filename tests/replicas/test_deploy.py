"""The deployment files, parsed: the compose file (the engines' official images cannot be pulled
here, so it is checked, not run), the Kubernetes manifests and the Dockerfile."""

from __future__ import annotations

import re

import yaml

from helpers import REPO

DEPLOY = REPO / "deploy"
OFFICIAL = {"nginx", "postgres", "redis", "chromadb/chroma"}


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_runs_two_apis_behind_nginx_two_workers_and_the_engines():
    services = compose()["services"]
    assert {"lb", "api1", "api2", "worker1", "worker2", "postgres", "redis", "chroma"} <= set(services)
    images = {s["image"].split(":")[0] for name, s in services.items() if "build" not in s}
    assert images == OFFICIAL
    for name in ("api1", "api2", "worker1", "worker2"):
        env = services[name]["environment"]
        assert env["DESIGN_REVIEW_REDIS_URL"].startswith("redis://redis:")
        assert env["DESIGN_REVIEW_DATABASE_URL"].startswith("postgresql://")
        assert env["DESIGN_REVIEW_CHROMA_HOST"] == "chroma"
    assert services["worker1"]["command"] == ["design-review", "worker"]
    assert "/healthz" in " ".join(services["api1"]["healthcheck"]["test"])
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert "server api1:8000" in nginx and "server api2:8000" in nginx


def test_compose_references_resolve():
    spec = compose()
    services = spec["services"]
    for name, service in services.items():
        depends = service.get("depends_on", [])
        for other in depends if isinstance(depends, list) else depends.keys():
            assert other in services, f"{name} depends on unknown {other}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source.startswith(".") or source in spec["volumes"], f"{name}: volume {source}"
            if source.startswith("."):
                assert (DEPLOY / source).exists()


def test_kubernetes_probes_requests_and_secret():
    docs = [d for f in sorted((DEPLOY / "kubernetes").glob("*.yaml")) for d in yaml.safe_load_all(f.read_text())]
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert {("Deployment", "design-review-api"), ("Deployment", "design-review-worker"),
            ("Secret", "design-review"), ("ConfigMap", "design-review"), ("Service", "design-review")} <= kinds
    for deployment in (d for d in docs if d["kind"] == "Deployment"):
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["resources"]["requests"]["cpu"] and container["resources"]["requests"]["memory"]
        assert {"secretRef": {"name": "design-review"}} in container["envFrom"]
        assert "livenessProbe" in container
    api = next(d for d in docs if d["metadata"]["name"] == "design-review-api")
    container = api["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert api["spec"]["replicas"] >= 2


def test_the_dockerfile_takes_its_base_as_an_argument_runs_as_non_root_with_a_volume():
    text = (REPO / "Dockerfile").read_text()
    assert re.search(r"^ARG BASE_IMAGE=python:3\.11-slim$", text, re.M)
    assert re.search(r"^FROM \$\{BASE_IMAGE\}$", text, re.M)
    user = re.findall(r"^USER (\S+)$", text, re.M)
    assert user and user[-1] not in ("root", "0")
    assert re.search(r"^VOLUME ", text, re.M)
    assert '"design-review", "serve"' in text
