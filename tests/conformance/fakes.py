"""A tiny in-memory broker behind an httpx MockTransport, to unit-test the interpreter.

Not a broker implementation: it knows just enough of the protocol for the scenarios used in
the tests, and each behaviour can be broken on purpose through its flags.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import yaml

SESSION = "https://www.purl.org/ivoa.net/Calycopis-openapi/schema/v1.0/kinds/session/simple-execution-session.yaml"
TERMINAL = {"REJECTED", "EXPIRED", "COMPLETED", "FAILED", "CANCELLED"}


@dataclass
class FakeBroker:
    base: str = "http://fake.test"
    offers_per_request: int = 2
    #: Faults, for tests that check the suite notices them.
    ignore_options: bool = False
    status_for_bad_update: int = 422
    plain_errors: bool = False
    offered_phase: str = "OFFERED"
    stale_options: bool = False  # an update leaves the options as they were
    #: The offered slot, (seconds from now to its start, its duration in minutes), if any.
    slot: tuple[float, int] | None = None
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    sets: dict[str, dict[str, Any]] = field(default_factory=dict)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def _answer(self, status: int, doc: Any, request: httpx.Request) -> httpx.Response:
        headers = {}
        url = doc.get("meta", {}).get("url") if isinstance(doc, dict) else None
        if request.method == "POST" and request.url.path.endswith("/requests") and url:
            headers["Location"] = url  # SVC-01: the offer set's URL on 200
        if (
            "yaml" in request.headers.get("accept", "application/yaml")
            or "accept" not in request.headers
        ):
            return httpx.Response(
                status, text=yaml.safe_dump(doc),
                headers={"Content-Type": "application/yaml", **headers}
            )
        return httpx.Response(status, json=doc, headers=headers)

    def _error(self, status: int, request: httpx.Request, path: str = "") -> httpx.Response:
        if self.plain_errors:
            return httpx.Response(status, text="nope", headers={"Content-Type": "text/plain"})
        message = {
            "level": "ERROR",
            "template": "bad {path}",
            "values": {"path": path},
            "message": f"bad {path}",
        }
        return self._answer(
            status, {"status": status, "title": "error", "messages": [message]}, request
        )

    def handle(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.strip("/").split("/")
        if parts == ["requests"] and request.method == "POST":
            return self._request(request)
        if len(parts) == 2 and parts[0] == "offersets" and parts[1] in self.sets:
            return self._answer(200, self._set(parts[1]), request)
        if len(parts) == 2 and parts[0] == "sessions" and parts[1] in self.sessions:
            if request.method == "POST":
                return self._update(parts[1], request)
            return self._answer(200, self.sessions[parts[1]], request)
        return self._error(404, request)

    def _set(self, set_id: str) -> dict[str, Any]:
        doc = dict(self.sets[set_id])
        doc["offers"] = [self.sessions[i] for i in doc.pop("ids")]
        return doc

    def _request(self, request: httpx.Request) -> httpx.Response:
        try:
            body = (
                json.loads(request.content)
                if "json" in request.headers.get("content-type", "")
                else yaml.safe_load(request.content)
            )
        except (ValueError, yaml.YAMLError):
            return self._error(400, request)
        if not isinstance(body, dict) or "executable" not in body:
            return self._error(400, request, "/executable")
        set_id = str(uuid.uuid4())
        if "no-such-kind" in str(body["executable"].get("kind")):
            kind = body["executable"]["kind"]
            self.sets[set_id] = {
                "meta": {
                    "uuid": set_id,
                    "url": f"{self.base}/offersets/{set_id}",
                    "messages": [
                        {
                            "level": "INFO",
                            "template": "unknown {kind}",
                            "values": {"kind": kind},
                            "message": f"unknown {kind}",
                        }
                    ],
                },
                "result": "NO",
                "ids": [],
            }
            return self._answer(200, self._set(set_id), request)
        ids = []
        expires = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for _ in range(self.offers_per_request):
            sid = str(uuid.uuid4())
            ids.append(sid)
            self.sessions[sid] = {
                "kind": SESSION,
                "phase": self.offered_phase,
                "expires": expires,
                "meta": {
                    "uuid": sid,
                    "url": f"{self.base}/sessions/{sid}",
                    "options": self._options("OFFERED"),
                },
                "executable": body["executable"],
            }
            if self.slot:
                start = datetime.now(UTC) + timedelta(seconds=self.slot[0])
                self.sessions[sid]["schedule"] = {"available": {
                    "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "duration": f"PT{self.slot[1]}M"}}
        self.sets[set_id] = {
            "meta": {"uuid": set_id, "url": f"{self.base}/offersets/{set_id}"},
            "result": "YES",
            "ids": ids,
        }
        return self._answer(200, self._set(set_id), request)

    @staticmethod
    def _options(phase: str) -> list[dict[str, Any]]:
        values = {"OFFERED": ["ACCEPTED", "REJECTED"], "ACCEPTED": ["CANCELLED"]}.get(phase)
        return (
            [{"kind": "uri:enum-value-option", "path": "/phase", "values": values}]
            if values
            else []
        )

    def _update(self, sid: str, request: httpx.Request) -> httpx.Response:
        session = self.sessions[sid]
        body = json.loads(request.content)
        value = body.get("value")
        if session["phase"] in TERMINAL:
            return self._error(409, request, "/value")
        allowed = self._options(session["phase"])
        if not self.ignore_options and (not allowed or value not in allowed[0]["values"]):
            return self._error(self.status_for_bad_update, request, "/value")
        session["phase"] = value
        if not self.stale_options:
            session["meta"]["options"] = self._options(value)
        session.pop("expires", None)
        return self._answer(200, session, request)
