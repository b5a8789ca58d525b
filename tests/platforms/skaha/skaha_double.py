"""A Skaha test double: a real HTTP server (Starlette on uvicorn, loopback) that implements the
Skaha session API and checks every call it receives against the OpenAPI contract in
``data/skaha-openapi.yaml``.

Contract checks, per call (a failed check is recorded in :attr:`SkahaDouble.violations` and
answered as real Skaha would: 400, 401 or 404): the path and method are in the contract; a
bearer token is sent (the contract's only security scheme); every query parameter is
declared for the operation and valid against its schema; a create's parameters (form body,
or query as the ``canfar`` client sends them) are declared in ``SkahaSessionCreateParams``,
``image`` is present and ``type``, ``cores`` and ``ram`` are valid; the double's own answer
has a status the operation declares and a body valid against its schema.

Simulated: capacity (a session stays Pending while the cluster's cores are taken), start-up
delay, failure (an image whose name contains ``fail`` ends in Error with a scheduling event
saying why), a headless run time, a busy service (``busy`` answers of 503), and token
expiry (a token past its expiry time gets 401).
"""

from __future__ import annotations

import copy
import itertools
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import jsonschema
import uvicorn
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

CONTRACT = Path(__file__).parent / "data" / "skaha-openapi.yaml"
PREFIX = "/skaha"
#: The ``view=stats`` answer, as the canfar client documents it (the contract names the view
#: but gives no schema for it).
STATS_SCHEMA = {
    "type": "object",
    "required": ["cores", "ram"],
    "properties": {
        "cores": {"type": "object", "required": ["coresAvailable", "maxCores"]},
        "ram": {"type": "object", "required": ["maxRAM"]},
    },
}


def _contract() -> tuple[dict[str, Any], Registry]:
    """The contract, with its bare ``$ref: 'Name'`` made ``#/components/schemas/Name``."""
    document = yaml.safe_load(CONTRACT.read_text("utf-8"))

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: fix(v) for k, v in node.items()}
            ref = out.get("$ref")
            if isinstance(ref, str) and "/" not in ref and "#" not in ref:
                out["$ref"] = f"urn:skaha#/components/schemas/{ref}"
            return out
        if isinstance(node, list):
            return [fix(v) for v in node]
        return node

    fixed = fix(document)
    resource = Resource.from_contents(fixed, default_specification=DRAFT202012)
    return fixed, Registry().with_resource("urn:skaha", resource)


@dataclass
class Call:
    """One call the double received, and what was wrong with it (empty: it kept the contract)."""

    method: str
    path: str
    query: list[tuple[str, str]]
    form: list[tuple[str, str]]
    status: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class Session:
    id: str
    type: str
    name: str
    image: str
    cores: int
    ram: int
    created: float
    cmd: str = ""
    args: str = ""
    env: list[str] = field(default_factory=list)
    started: float | None = None


class SkahaDouble:
    """The double's state and behaviour; :meth:`serve` runs it on loopback."""

    def __init__(self, *, cores: int = 8, largest_cores: int = 4, ram: int = 32,
                 largest_ram: int = 16, startup: float = 0.5, headless_run: float = 1.0,
                 tokens: dict[str, float | None] | None = None, user: str = "eb-broker") -> None:
        self.cores, self.largest_cores = cores, largest_cores
        self.ram, self.largest_ram = ram, largest_ram
        self.startup, self.headless_run = startup, headless_run
        #: token → expiry (epoch seconds; None: never). A token not listed gets 401.
        self.tokens: dict[str, float | None] = tokens if tokens is not None else {}
        self.user = user
        self.busy = 0  # the next ``busy`` calls get 503 Service busy
        self.calls: list[Call] = []
        self.sessions: dict[str, Session] = {}
        self.deleted: list[str] = []
        self.base_url = ""
        self._ids = (f"s{n:07d}" for n in itertools.count(1))
        self._lock = threading.Lock()
        self.contract, self.registry = _contract()

    # --- the contract ---------------------------------------------------------------------

    @property
    def violations(self) -> list[str]:
        return [f"{c.method} {c.path}: {p}" for c in self.calls for p in c.problems]

    def operation(self, method: str, path: str) -> tuple[dict[str, Any] | None, str]:
        rest = path[len(PREFIX):] if path.startswith(PREFIX) else None
        paths = self.contract["paths"]
        if rest == "/v0/session":
            item = paths["/v0/session"]
        elif rest is not None and rest.startswith("/v0/session/") and rest.count("/") == 3:
            item = paths["/v0/session/{sessionID}"]
        else:
            return None, f"no path {path} in the contract"
        found = item.get(method.lower())
        if found is None:
            return None, f"method {method} is not in the contract for {path}"
        return found, ""

    def validate(self, value: Any, schema: dict[str, Any]) -> list[str]:
        validator = jsonschema.Draft202012Validator(schema, registry=self.registry)
        return [f"{'/'.join(map(str, e.absolute_path)) or '(value)'}: {e.message}"
                for e in validator.iter_errors(value)]

    def _schema(self, name: str) -> dict[str, Any]:
        return {"$ref": f"urn:skaha#/components/schemas/{name}"}

    def check_query(self, call: Call, operation: dict[str, Any]) -> None:
        declared = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
        for key, value in call.query:
            if key not in declared:
                call.problems.append(f"query parameter {key!r} is not declared")
                continue
            call.problems += [f"query {key}: {p}" for p in
                              self.validate(value, declared[key].get("schema", {}))]

    def check_create(self, call: Call) -> dict[str, list[str]]:
        """The create parameters (form or query, as Skaha's servlet reads both), checked."""
        params: dict[str, list[str]] = {}
        for key, value in [*call.form, *call.query]:
            params.setdefault(key, []).append(value)
        schema = self.contract["components"]["schemas"]["SkahaSessionCreateParams"]
        declared = schema["properties"]
        typed: dict[str, Any] = {}
        for key, values in params.items():
            if key not in declared:
                call.problems.append(f"create parameter {key!r} is not declared")
                continue
            if len(values) > 1 and key != "env":
                call.problems.append(f"create parameter {key!r} given {len(values)} times")
            value: Any = values[0]
            if declared[key].get("type") == "integer":
                try:
                    value = int(value)
                except ValueError:
                    call.problems.append(f"create parameter {key}: {value!r} is not an integer")
                    continue
            typed[key] = value
        call.problems += [f"create: {p}" for p in self.validate(typed, self._schema(
            "SkahaSessionCreateParams"))]
        for env in params.get("env", []):
            if "=" not in env:
                call.problems.append(f"create parameter env: {env!r} is not key=value")
        return params

    def check_answer(self, call: Call, operation: dict[str, Any], response: Response,
                     body: Any, schema: dict[str, Any] | None) -> None:
        codes = operation.get("responses", {})
        if str(response.status_code) not in codes and "default" not in codes:
            call.problems.append(f"the double answered {response.status_code}, which the "
                                 "contract does not declare")
        if schema is not None and response.status_code == 200:
            call.problems += [f"answer: {p}" for p in self.validate(body, schema)]

    # --- simulation -------------------------------------------------------------------------

    def status_of(self, session: Session, now: float) -> str:
        if "fail" in session.image:
            return "Error" if now - session.created >= self.startup else "Pending"
        if session.started is None:
            running = sum(s.cores for s in self.sessions.values()
                          if s.started is not None and self._live(s, now))
            if now - session.created >= self.startup and \
                    running + session.cores <= self.cores:
                session.started = session.created + self.startup
            else:
                return "Pending"
        if session.type == "headless" and now - session.started >= self.headless_run:
            return "Succeeded"
        return "Running"

    def _live(self, session: Session, now: float) -> bool:
        return not (session.type == "headless" and session.started is not None
                    and now - session.started >= self.headless_run)

    def document(self, session: Session, now: float) -> dict[str, Any]:
        status = self.status_of(session, now)
        made = {
            "id": session.id, "userid": self.user, "runAsUID": 1000, "runAsGID": 1000,
            "supplementalGroups": [1000], "appid": "<none>", "image": session.image,
            "type": session.type, "status": status, "name": session.name,
            "startTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(session.created)),
            "expiryTime": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                        time.gmtime(session.created + 4 * 86400)),
            "connectURL": "", "requestedRAM": f"{session.ram}G",
            "requestedCPUCores": str(session.cores), "requestedGPUCores": "<none>",
            "ramInUse": "<none>", "gpuRAMInUse": "<none>", "cpuCoresInUse": "<none>",
            "gpuUtilization": "<none>",
        }
        if session.type == "notebook":
            made["connectURL"] = (f"{self.base_url}/session/notebook/{session.id}/lab/tree/"
                                  f"arc/home/{self.user}?token={session.id}")
        return made

    def stats(self, now: float) -> dict[str, Any]:
        used = [s for s in self.sessions.values() if self._live(s, now)]
        return {
            "instances": {"session": len(used), "desktopApp": 0, "headless": sum(
                s.type == "headless" for s in used), "total": len(used)},
            "cores": {"requestedCPUCores": sum(s.cores for s in used),
                      "coresAvailable": self.cores,
                      "maxCores": {"cores": self.largest_cores,
                                   "withRam": f"{self.largest_ram}Gi"}},
            "ram": {"requestedRAM": f"{sum(s.ram for s in used)}Gi",
                    "ramAvailable": f"{self.ram}Gi",
                    "maxRAM": {"ram": f"{self.largest_ram}Gi",
                               "withCores": self.largest_cores}},
        }

    # --- HTTP -------------------------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        form: list[tuple[str, str]] = []
        body = await request.body()
        if body:
            kind = request.headers.get("content-type", "")
            if request.method == "POST" and kind.startswith("application/x-www-form-urlencoded"):
                form = parse_qsl(body.decode(), keep_blank_values=True)
        call = Call(request.method, request.url.path, list(request.query_params.multi_items()),
                    form)
        with self._lock:
            self.calls.append(call)
            response, payload, schema, operation = self._answer(call, request, body)
            call.status = response.status_code
            if operation is not None:
                self.check_answer(call, operation, response, payload, schema)
        return response

    def _answer(self, call: Call, request: Request, body: bytes
                ) -> tuple[Response, Any, dict[str, Any] | None, dict[str, Any] | None]:
        operation, problem = self.operation(call.method, call.path)
        if operation is None:
            call.problems.append(problem)
            return PlainTextResponse(problem, 404), None, None, None
        if body and call.method != "POST":
            call.problems.append(f"{call.method} with a body")
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            call.problems.append("no bearer token (the contract's security scheme)")
            return PlainTextResponse("", 401), None, None, operation
        token = auth[len("Bearer "):]
        if token not in self.tokens:
            return PlainTextResponse("", 401), None, None, operation
        expiry = self.tokens[token]
        now = time.time()
        if expiry is not None and now >= expiry:
            return PlainTextResponse("", 401), None, None, operation
        if self.busy > 0:
            self.busy -= 1
            return PlainTextResponse("", 503), None, None, operation
        if call.method != "POST":
            self.check_query(call, operation)
        ident = call.path.rsplit("/", 1)[1] if call.path.count("/") == 4 else None
        if call.method == "POST":
            if call.form and not request.headers.get("content-type", "").startswith(
                    "application/x-www-form-urlencoded"):
                call.problems.append("create parameters not form-encoded")
            params = self.check_create(call)
            if call.problems:
                return (PlainTextResponse("; ".join(call.problems), 400), None, None,
                        operation)
            return self._create(params, now), None, None, operation
        if ident is None and call.method == "GET":
            query = dict(call.query)
            if query.get("view") == "stats":
                found = self.stats(now)
                return JSONResponse(found), found, STATS_SCHEMA, operation
            listed = [self.document(s, now) for s in self.sessions.values()
                      if query.get("type") in (None, s.type)]
            listed = [d for d in listed if query.get("status") in (None, d["status"])]
            return JSONResponse(listed), listed, self._schema("SkahaSessionList"), operation
        session = self.sessions.get(ident or "")
        if session is None:
            return PlainTextResponse(f"session {ident} not found", 404), None, None, operation
        if call.method == "DELETE":
            del self.sessions[session.id]
            self.deleted.append(session.id)
            return PlainTextResponse(""), None, None, operation
        view = dict(call.query).get("view")
        if view == "events":
            return PlainTextResponse(self._events(session, now)), None, None, operation
        if view == "logs":
            return PlainTextResponse(self._logs(session, now)), None, None, operation
        found = self.document(session, now)
        return JSONResponse(found), found, self._schema("SkahaSessionObject"), operation

    def _create(self, params: dict[str, list[str]], now: float) -> Response:
        first = {k: v[0] for k, v in params.items()}
        kind = first.get("type", "notebook")
        cores, ram = int(first.get("cores", 1)), int(first.get("ram", 1))
        if cores > self.largest_cores or ram > self.largest_ram:
            return PlainTextResponse(
                f"requested cores {cores} or ram {ram}G is more than the allowed "
                f"{self.largest_cores} cores and {self.largest_ram}G", 400)
        session = Session(next(self._ids), kind, first.get("name", ""), first["image"],
                          cores, ram, now, first.get("cmd", ""), first.get("args", ""),
                          params.get("env", []))
        self.sessions[session.id] = session
        return PlainTextResponse(session.id + "\n")

    def _events(self, session: Session, now: float) -> str:
        if "fail" in session.image:
            return (f"Type     Reason   Message\nNormal   Scheduled  assigned to node-1\n"
                    f"Warning  Failed   Failed to pull image \"{session.image}\": "
                    "manifest unknown\n")
        return "Type     Reason   Message\nNormal   Scheduled  assigned to node-1\n"

    def _logs(self, session: Session, now: float) -> str:
        if session.type != "headless" or self.status_of(session, now) == "Pending":
            return ""
        lines = [f"started {session.image}", f"cmd={session.cmd} args={session.args}"]
        lines += [f"env {e}" for e in session.env]
        return "\n".join(lines) + "\n"

    def app(self) -> Starlette:
        methods = ["GET", "POST", "DELETE", "PUT", "PATCH"]
        return Starlette(routes=[Route("/{path:path}", self.handle, methods=methods)])

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy({k: vars(v) for k, v in self.sessions.items()})


class Served:
    """A :class:`SkahaDouble` served by uvicorn in a thread on 127.0.0.1."""

    def __init__(self, double: SkahaDouble) -> None:
        self.double = double
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        port = self.sock.getsockname()[1]
        self.root = f"http://127.0.0.1:{port}"
        self.url = self.root + PREFIX
        double.base_url = self.root
        config = uvicorn.Config(double.app(), log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run,
                                       kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the Skaha double did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


__all__ = ["CONTRACT", "Call", "Served", "SkahaDouble"]
