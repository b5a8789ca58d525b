"""Older request forms of the upstream prototype, rewritten into their v1.0 spelling (EXT-03).

The prototype's published requests (its tests, examples and demo templates) use shapes that
v1.0 spells differently. Each one is listed, with the decision taken on it, in
``docs/review/upstream.md``; this module rewrites those it understands, and reports each
rewrite (where it was, which form, its canonical spelling) so that a reader can tell the
client. It runs before validation, like the mapping of alias kind URIs, and is pure: a copy
of the document comes back, the input is left as it was.

Forms rewritten here (the names are the ``form`` of each :class:`LegacyForm`):

``request-wrapper``
    the request wrapped in a ``request:`` object;
``type-for-kind``
    a component whose class is given by ``type`` (an older name of ``kind``);
``kind-empty-segment``
    a kind URI with an empty path segment (``.../v1.0//types/...``);
``name-beside-meta`` / ``description-beside-meta``
    a component's ``name`` or ``description`` beside ``meta`` rather than in it;
``computer-for-compute``
    the compute resource under ``computer``;
``storage-resources``
    a storage resource listing its data under ``resources`` (v1.0: ``data``);
``volume-resources``
    a volume mount listing ``resources`` (v1.0: one ``resource``);
``top-level-volumes``
    volumes declared beside ``compute`` and referenced from it by name;
``number-argument``
    a number in a container's ``command`` (v1.0: strings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .jsonvalue import copy_json
from .unknown import pointer

__all__ = ["LegacyForm", "normalise"]

Path = tuple[str | int, ...]

_COMPONENT_LISTS = ("storage", "data", "volumes", "costs", "metrics")
_EMPTY_SEGMENT = re.compile(r"(?<!:)/{2,}")


@dataclass(frozen=True)
class LegacyForm:
    """One older form found in a document: where (as sent), which, and the v1.0 spelling."""

    path: Path
    form: str
    canonical: str

    @property
    def pointer(self) -> str:
        return pointer(self.path)


def normalise(document: Any, root: str = "offers-request") -> tuple[Any, list[LegacyForm]]:
    """A copy of ``document`` in v1.0 spelling, and the older forms that were rewritten.

    ``root`` is ``offers-request`` or ``update``. A document that is not an object comes back
    unchanged (validation reports it).
    """
    if not isinstance(document, dict):
        return document, []
    doc = copy_json(document)
    found: list[LegacyForm] = []
    if root == "update":
        _component(doc, (), found, kind_from_type=True)
        return doc, found
    if set(doc) == {"request"} and isinstance(doc["request"], dict):
        doc = doc["request"]
        found.append(LegacyForm(("request",), "request-wrapper", "the request itself, unwrapped"))
    for key in ("executable", "compute", "computer"):
        if isinstance(doc.get(key), dict):
            _component(doc[key], (key,), found, kind_from_type=True)
    executable = doc.get("executable")
    if isinstance(executable, dict):
        _arguments(executable, found)
    for key in _COMPONENT_LISTS:
        items = doc.get(key)
        if isinstance(items, list):
            for index, item in enumerate(items):
                if isinstance(item, dict):
                    _component(
                        item, (key, index), found, kind_from_type=key not in ("costs", "metrics")
                    )
    compute_key = "compute" if "compute" in doc else "computer"
    compute = doc.get(compute_key)
    if isinstance(compute, dict) and isinstance(compute.get("volumes"), list):
        for index, item in enumerate(compute["volumes"]):
            if isinstance(item, dict):
                _component(item, (compute_key, "volumes", index), found, kind_from_type=True)
    if "computer" in doc and "compute" not in doc:
        doc["compute"] = doc.pop("computer")
        found.append(LegacyForm(("computer",), "computer-for-compute", "compute"))
    _storage_data(doc, found)
    _volume_resources(doc, found)
    _top_level_volumes(doc, found)
    return doc, found


def _component(
    node: dict[str, Any], path: Path, found: list[LegacyForm], kind_from_type: bool
) -> None:
    """Rewrites within one component: its kind, and its name and description."""
    if kind_from_type and "kind" not in node and isinstance(node.get("type"), str):
        node["kind"] = node.pop("type")
        found.append(LegacyForm((*path, "type"), "type-for-kind", "kind"))
    kind = node.get("kind")
    if isinstance(kind, str) and _EMPTY_SEGMENT.search(kind):
        node["kind"] = _EMPTY_SEGMENT.sub("/", kind)
        found.append(LegacyForm((*path, "kind"), "kind-empty-segment", node["kind"]))
    for field in ("name", "description"):
        value = node.get(field)
        meta = node.get("meta", {})
        if (
            isinstance(value, str)
            and isinstance(meta, dict)
            and field not in meta
            and not _declares(node, field)
        ):
            node["meta"] = {**meta, field: node.pop(field)}
            found.append(LegacyForm((*path, field), f"{field}-beside-meta", f"meta/{field}"))


def _declares(node: dict[str, Any], field: str) -> bool:
    # Costs and metrics declare a description of their own.
    kind = node.get("kind")
    return (
        field == "description"
        and isinstance(kind, str)
        and ("/costs/" in kind or "/metrics/" in kind)
    )


def _arguments(executable: dict[str, Any], found: list[LegacyForm]) -> None:
    command = executable.get("command")
    if not isinstance(command, list):
        return
    for index, arg in enumerate(command):
        if isinstance(arg, (int, float)) and not isinstance(arg, bool):
            command[index] = str(arg)
            found.append(
                LegacyForm(("executable", "command", index), "number-argument", repr(str(arg)))
            )


def _storage_data(doc: dict[str, Any], found: list[LegacyForm]) -> None:
    storage = doc.get("storage")
    if not isinstance(storage, list):
        return
    for index, item in enumerate(storage):
        if isinstance(item, dict) and "resources" in item and "data" not in item:
            item["data"] = item.pop("resources")
            found.append(LegacyForm(("storage", index, "resources"), "storage-resources", "data"))


def _volumes(doc: dict[str, Any]) -> list[tuple[Path, dict[str, Any]]]:
    out: list[tuple[Path, dict[str, Any]]] = []
    for key, items in (
        ("volumes", doc.get("volumes")),
        (
            "compute",
            (doc.get("compute") or {}).get("volumes")
            if isinstance(doc.get("compute"), dict)
            else None,
        ),
    ):
        if isinstance(items, list):
            base: Path = ("volumes",) if key == "volumes" else ("compute", "volumes")
            out.extend(((*base, i), v) for i, v in enumerate(items) if isinstance(v, dict))
    return out


def _volume_resources(doc: dict[str, Any], found: list[LegacyForm]) -> None:
    """``resources: [...]`` of a volume: one name is the ``resource``; several names held by
    one storage resource mount that storage; otherwise one mount per name, below the path."""
    holders = (
        {
            name: item.get("meta", {}).get("name")
            for item in doc.get("storage", [])
            if isinstance(item, dict)
            for name in (item.get("data") or [])
            if isinstance(name, str)
        }
        if isinstance(doc.get("storage"), list)
        else {}
    )
    for path, volume in _volumes(doc):
        names = volume.get("resources")
        if "resource" in volume or not isinstance(names, list) or not names:
            continue
        if not all(isinstance(n, str) for n in names):
            continue
        del volume["resources"]
        where = (*path, "resources")
        if len(names) == 1:
            volume["resource"] = names[0]
            found.append(LegacyForm(where, "volume-resources", "resource"))
            continue
        stores = {holders.get(n) for n in names}
        if len(stores) == 1 and None not in stores:
            volume["resource"] = stores.pop()
            found.append(
                LegacyForm(
                    where,
                    "volume-resources",
                    f"resource: {volume['resource']} (the storage holding them)",
                )
            )
            continue
        volume["x-split"] = names  # resolved in _top_level_volumes / _split
        found.append(
            LegacyForm(
                where, "volume-resources", "one volume mount per resource, each below the path"
            )
        )
    _split_all(doc)


def _split_all(doc: dict[str, Any]) -> None:
    for key in ("volumes", "compute"):
        holder = doc if key == "volumes" else doc.get("compute")
        if not isinstance(holder, dict) or not isinstance(holder.get("volumes"), list):
            continue
        out: list[Any] = []
        for volume in holder["volumes"]:
            names = volume.pop("x-split", None) if isinstance(volume, dict) else None
            if names is None:
                out.append(volume)
                continue
            base = str(volume.get("path", "")).rstrip("/")
            for index, name in enumerate(names):
                part = copy_json(volume)
                part["resource"] = name
                part["path"] = f"{base}/{name}"
                meta = part.get("meta")
                if isinstance(meta, dict) and isinstance(meta.get("name"), str) and index:
                    part["meta"] = {**meta, "name": f"{meta['name']}-{index}"}
                out.append(part)
        holder["volumes"] = out


def _top_level_volumes(doc: dict[str, Any], found: list[LegacyForm]) -> None:
    """Volumes declared beside ``compute`` move into it: named references are replaced by
    the declarations, and declarations not referenced are mounted too (the request has one
    compute resource, the only place a volume can be mounted)."""
    declared = doc.get("volumes")
    if not isinstance(declared, list):
        return
    compute = doc.get("compute")
    if not isinstance(compute, dict):
        return  # nowhere to mount them: left for the must-ignore rule to report
    del doc["volumes"]
    by_name = {
        v.get("meta", {}).get("name"): v
        for v in declared
        if isinstance(v, dict) and isinstance(v.get("meta"), dict)
    }
    mounts: list[Any] = []
    used: set[str] = set()
    for ref in compute.get("volumes") or []:
        if isinstance(ref, str) and ref in by_name:
            mounts.append(by_name[ref])
            used.add(ref)
        elif isinstance(ref, str):
            mounts.append(ref)  # a dangling name: validation reports it at its path
        else:
            mounts.append(ref)
    mounts.extend(
        v
        for v in declared
        if not (
            isinstance(v, dict)
            and isinstance(v.get("meta"), dict)
            and v["meta"].get("name") in used
        )
    )
    compute["volumes"] = mounts
    found.append(LegacyForm(("volumes",), "top-level-volumes", "compute/volumes"))
