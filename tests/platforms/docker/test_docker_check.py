"""What the Docker-API platform refuses before anything is booked, and why: every reason
names the part of the request at fault, so the broker's NO is actionable."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from docker_support import SOCKET, K, document, settings
from ivoa_eb_broker.platforms.docker_api import DOCKER, DockerApiPlatform, DockerSettings

OFFLINE = "unix:///nonexistent/docker.sock"


def reasons(platform: DockerApiPlatform, request: dict[str, Any]) -> dict[str, str]:
    return {r.path: r.message for r in asyncio.run(platform.check(request))}


def offline(work: Path, **extra: Any) -> DockerApiPlatform:
    return DockerApiPlatform(settings(work, base_url=OFFLINE, **extra))


@pytest.mark.parametrize("kind", ["singularity-container", "jupyter-notebook"])
def test_other_executable_kinds_are_not_supported(work: Path, kind: str) -> None:
    request = {"executable": {"kind": K + f"executable/{kind}.yaml", "location": "x"}}
    found = reasons(offline(work), request)
    assert list(found) == ["/executable/kind"]
    assert "not supported by the docker platform" in found["/executable/kind"]
    assert offline(work).supported_kinds() == frozenset({DOCKER})


def test_data_kinds_other_than_simple_http_cannot_be_staged(work: Path) -> None:
    request = document(["true"])
    request["data"] = [
        {"kind": K + "data/S3-data-resource.yaml", "meta": {"name": "s3"}, "bucket": "b"},
        {"kind": K + "data/simple-data-resource.yaml", "meta": {"name": "ftp"},
         "location": "ftp://ftp.example.org/file"},
    ]
    found = reasons(offline(work), request)
    assert "cannot stage this data kind on the docker platform" in found["/data/0"]
    assert "only http and https" in found["/data/1/location"]


def test_privileged_containers_and_foreign_images_are_refused(work: Path) -> None:
    request = document(["true"], privileged=True)
    request["executable"]["image"]["locations"] = ["docker.io/library/alpine:3"]
    found = reasons(offline(work, images=["localhost/"]), request)
    assert "privileged containers are refused" in found["/executable/privileged"]
    assert "localhost/" in found["/executable/image/locations"]


def test_bad_mounts_and_names_are_refused(work: Path) -> None:
    request = document(["true"])
    request["compute"]["volumes"] = [
        {"path": "relative/path", "resource": "results"},
        {"path": "/ok:rw", "resource": "results"},
        {"path": "/fine", "resource": "nowhere"},
    ]
    request["storage"].append({"kind": K + "storage/simple-storage-resource.yaml",
                               "meta": {"name": "../escape"}})
    found = reasons(offline(work), request)
    assert "absolute" in found["/compute/volumes/0/path"]
    assert "':'" in found["/compute/volumes/1/path"]
    assert "/compute/volumes/2/resource" in found
    assert "/storage/1/meta/name" in found


def test_an_unreachable_engine_is_a_reason_and_offers_nothing(work: Path) -> None:
    platform = offline(work)
    found = reasons(platform, document(["true"]))
    assert "does not answer" in found[""]
    assert platform.capacity().cores == 0


@pytest.mark.engine
def test_a_request_the_engine_host_can_run_has_no_reasons(engine: None, work: Path) -> None:
    platform = DockerApiPlatform(settings(work))
    assert reasons(platform, document(["true"])) == {}
    too_big = document(["true"])
    too_big["compute"]["cores"] = {"min": 512, "max": 512}
    assert "/compute/cores/min" in reasons(platform, too_big)
    missing = document(["true"])
    missing["executable"]["image"]["locations"] = ["localhost/not-here:1"]
    assert "/executable/image/locations" in reasons(platform, missing)


@pytest.mark.parametrize("table, problem", [
    ({"colour": "blue"}, "unknown keys"),
    ({"work_dir": "relative"}, "absolute"),
    ({"cores": -1}, "whole number"),
    ({"allow_privileged": "yes"}, "true or false"),
    ({"images": "localhost/"}, "list of strings"),
    ({"publish_address": "everywhere"}, "IP address"),
])
def test_bad_settings_are_refused_clearly(table: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        DockerSettings.from_mapping(table)


def test_settings_from_the_config_table() -> None:
    platform = DockerApiPlatform.from_settings({
        "base_url": "unix:///tmp/podman.sock", "cores": 2, "images": ["localhost/"],
        "data_timeout": 5, "keep_storage": True})
    s = platform.settings
    assert (s.base_url, s.cores, s.images, s.data_timeout, s.keep_storage) == (
        "unix:///tmp/podman.sock", 2, ("localhost/",), 5.0, True)
    assert s.allow_privileged is False and s.allow_private_data is False


@pytest.mark.engine
def test_an_empty_base_url_reads_docker_host_from_the_environment(
        engine: None, work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", SOCKET)
    platform = DockerApiPlatform(settings(work, base_url=""))
    assert platform.capacity().cores >= 1
    assert reasons(platform, document(["true"])) == {}
