"""A session's working folder on the engine host, and the data staged into it.

The Docker-API and Slurm platforms lay a session out alike: ``<work_dir>/<uuid>/`` holds
``storage/<name>/`` for each storage resource and ``data/<name>/`` for each data resource,
into which the resource's location is downloaded (once) with the guards of :mod:`.staging`
and copied onto the storage resource that lists it. One helper, so that both check names
and paths the same way and a fix reaches both.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .base import Job, PlatformError
from .staging import StagingError, download, file_name

K = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/"
SIMPLE_DATA = K + "data/simple-data-resource.yaml"
#: A session uuid as a folder name.
UUID = re.compile(r"[0-9A-Za-z-]{1,64}")
#: A storage or data resource name usable as a folder name.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one (documents read by the engines)."""
    return value if isinstance(value, Mapping) else {}


def items(value: Any) -> list[Mapping[str, Any]]:
    """The mappings of a list (anything else: none)."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def names(value: Any) -> list[str]:
    """The usable names of a list of resources (``meta.name``)."""
    found = []
    for item in items(value):
        name = mapping(item.get("meta")).get("name")
        if isinstance(name, str) and NAME.fullmatch(name):
            found.append(name)
    return found


def data_to_stage(document: Mapping[str, Any], engine: str) -> list[tuple[str, str, str | None]]:
    """(name, url, storage name or None) of each data resource of a session to stage;
    ``engine`` names the platform in the error about a kind it cannot stage."""
    placed: dict[str, str] = {}
    for item in items(document.get("storage")):
        name = mapping(item.get("meta")).get("name")
        for data in item.get("data") or []:
            if isinstance(name, str) and isinstance(data, str):
                placed[data] = name
    found = []
    for item in items(document.get("data")):
        name = mapping(item.get("meta")).get("name")
        url = item.get("location")
        if not isinstance(name, str) or not isinstance(url, str):
            continue
        if item.get("kind") != SIMPLE_DATA:
            raise PlatformError(f"cannot stage data resource {name!r} of kind "
                                f"{item.get('kind')!r} on the {engine} platform")
        storage = item.get("storage") if isinstance(item.get("storage"), str) else None
        found.append((name, url, storage or placed.get(name)))
    return found


@dataclass(frozen=True)
class WorkDir:
    """The working folders of sessions under ``root`` and how data is staged into them."""

    root: str
    #: The platform's name in messages ("docker", "Slurm").
    engine: str
    data_limit_mib: int
    data_timeout: float
    allow_private_data: bool

    def session(self, uuid: str) -> Path:
        """The session's folder under ``root``."""
        if not UUID.fullmatch(uuid):
            raise PlatformError(f"not a session uuid: {uuid!r}")
        return Path(self.root) / uuid

    def storage(self, uuid: str, name: str) -> Path:
        """Where storage resource ``name`` of a session lives."""
        if not NAME.fullmatch(name):
            raise PlatformError(f"not a usable storage name: {name!r}")
        return self.session(uuid) / "storage" / name

    def data(self, uuid: str, name: str) -> Path:
        """Where data resource ``name`` of a session is staged."""
        if not NAME.fullmatch(name):
            raise PlatformError(f"not a usable data name: {name!r}")
        return self.session(uuid) / "data" / name

    def make(self, job: Job, *, open_storage: bool = False) -> Path:
        """Create the session's folders (blocking); the session folder.

        ``open_storage``: the session folder is the operator's (0700) and storage folders are
        open to every uid, so that an image whose USER is not root can write its results (a
        container runtime mounts them as root, so the closed parent does not stop it).
        """
        folder = self.session(job.uuid)
        folder.mkdir(parents=True, exist_ok=True)
        if open_storage:
            folder.chmod(0o700)
        for name in names(job.document.get("storage")):
            storage = self.storage(job.uuid, name)
            storage.mkdir(parents=True, exist_ok=True)
            if open_storage:
                storage.chmod(0o777)
        for name in names(job.document.get("data")):
            self.data(job.uuid, name).mkdir(parents=True, exist_ok=True)
        return folder

    async def stage_all(self, job: Job) -> None:
        """Stage every data resource of the session."""
        for name, url, storage in data_to_stage(job.document, self.engine):
            await self.stage(job, name, url, storage)

    async def stage(self, job: Job, name: str, url: str, storage: str | None) -> None:
        """Download one data resource (once) and copy it onto its storage, if it has one."""
        target = self.data(job.uuid, name) / file_name(url, name)
        if not target.exists():
            try:
                await asyncio.to_thread(download, url, target,
                                        limit=self.data_limit_mib * (1 << 20),
                                        timeout=self.data_timeout,
                                        allow_private=self.allow_private_data)
            except StagingError as problem:
                raise PlatformError(f"staging data resource {name!r}: {problem}") from None
        if storage is not None:
            placed = self.storage(job.uuid, storage) / target.name
            if not placed.exists():
                await asyncio.to_thread(shutil.copyfile, target, placed)

    async def remove(self, uuid: str, *, keep_storage: bool) -> None:
        """Remove the session's folder; with ``keep_storage`` only its staged data."""
        folder = self.session(uuid)
        if keep_storage:
            await asyncio.to_thread(shutil.rmtree, folder / "data", True)
        else:
            await asyncio.to_thread(shutil.rmtree, folder, True)
