"""Hand-written documents that use every field of every kind, shared by the model tests.

Tests import the constants and deep-copy what they change.
"""

from __future__ import annotations

from ivoa_eb_spec.model import kinds as K

UUID_A = "0b7f4d3e-8a55-4c1e-9f26-3d0b8e7a6c41"
UUID_B = "5c2d1a9e-3f47-4b8a-a1d2-7e9c0f6b4a13"

COSTS = [
    {
        "kind": K.SIMPLE_MINMAX_FLOAT_COST,
        "type": "urn:cost:money",
        "description": "EUR",
        "min": 0.5,
        "max": 10,
    },
]
METRICS = [
    {
        "kind": K.SIMPLE_MINMAX_FLOAT_METRIC,
        "type": "urn:metric:gflops",
        "description": "speed",
        "min": 1.0,
    },
]
META = {
    "name": "thing",
    "description": "a thing",
    "messages": [
        {
            "kind": "urn:message:note",
            "time": "2026-11-28T10:00:00Z",
            "level": "INFO",
            "template": "Hello {who}",
            "values": {"who": "world"},
            "message": "Hello world",
        }
    ],
}
SCHEDULE = {
    "preparing": {"start": "2026-12-01T08:55:00Z", "duration": "PT5M"},
    "available": {"start": "2026-12-01T09:00:00Z/2026-12-01T09:15:00Z", "duration": "PT2H"},
    "releasing": {"start": "2026-12-01T11:00:00Z", "duration": "PT5M"},
}

DOCKER = {
    "kind": K.DOCKER_CONTAINER,
    "meta": META,
    "phase": "WAITING",
    "schedule": SCHEDULE,
    "image": {
        "locations": ["ghcr.io/example/tool:1.2"],
        "digest": "sha256:abc",
        "platform": {"architecture": "arm64", "os": "linux"},
    },
    "privileged": False,
    "command": ["--in", "/data"],
    "entrypoint": "/bin/run",
    "environment": {"MODE": "fast", "EMPTY": ""},
    "network": {
        "ports": [
            {
                "access": True,
                "internal": {"port": 8888},
                "external": {"port": 443, "addresses": ["203.0.113.7"]},
                "protocol": "HTTPS",
                "path": "/lab",
            }
        ]
    },
    "costs": COSTS,
    "metrics": METRICS,
}
SINGULARITY = {
    "kind": K.SINGULARITY_CONTAINER,
    "meta": {"name": "sif"},
    "location": "https://example.org/a.sif",
}
JUPYTER = {
    "kind": K.JUPYTER_NOTEBOOK,
    "meta": {"name": "nb"},
    "location": "https://example.org/a.ipynb",
}

COMPUTE = {
    "kind": K.SIMPLE_COMPUTE_RESOURCE,
    "meta": {"name": "cpu"},
    "phase": "AVAILABLE",
    "cores": {"min": 2, "max": 4},
    "memory": {"min": 8, "max": 16},
    "volumes": [
        {
            "kind": K.SIMPLE_VOLUME_MOUNT,
            "meta": {"name": "in"},
            "path": "/data",
            "mode": "READONLY",
            "resource": "fits",
            "costs": COSTS,
            "metrics": METRICS,
        },
        {
            "kind": K.SIMPLE_VOLUME_MOUNT,
            "path": "/scratch",
            "mode": "READWRITE",
            "resource": "scratch",
        },
    ],
    "costs": COSTS,
}
STORAGE = {
    "kind": K.SIMPLE_STORAGE_RESOURCE,
    "meta": {"name": "scratch"},
    "size": {"min": 100, "max": 200},
    "data": ["fits", "s3"],
    "metrics": METRICS,
}
IVOA_BLOCK = {
    "ivoid": "ivo://example.org/data?obs-1",
    "obscore": {
        "obs_id": "obs-1",
        "obs_collection": "survey",
        "obs_publisher_did": "ivo://example.org/pub?1",
        "obs_creator_did": "ivo://example.org/cre?1",
        "dataproduct_type": "image",
        "calib_level": 2,
        "access_url": "https://example.org/obs-1.fits",
        "access_format": "application/fits",
    },
    "datalink": {
        "ID": "ivo://example.org/pub?1",
        "access_url": "https://example.org/dl/1",
        "service_def": "soda",
        "error_message": "none",
        "description": "the data",
        "semantics": "#this",
        "content_type": "application/fits",
        "content_length": 2880,
        "content_qualifier": "image",
        "local_semantics": "main",
        "link_auth": "false",
        "link_authorized": "true",
    },
}
DATA = [
    {
        "kind": K.SIMPLE_DATA_RESOURCE,
        "meta": {"name": "fits"},
        "location": "https://example.org/a.fits",
        "storage": "scratch",
    },
    {
        "kind": K.S3_DATA_RESOURCE,
        "meta": {"name": "s3"},
        "endpoint": "https://s3.example.org",
        "template": "{endpoint}/{bucket}/{object}",
        "bucket": "b",
        "object": "o.fits",
        "storage": "scratch",
    },
    {
        "kind": K.RUCIO_DATA_RESOURCE,
        "meta": {"name": "rucio"},
        "rucio": {
            "endpoint": "https://rucio.example.org",
            "scope": "sc",
            "object": "obj",
            "type": "DATASET",
        },
    },
    {"kind": K.IVOA_DATA_RESOURCE, "meta": {"name": "ivoa"}, "ivoa": IVOA_BLOCK},
    {
        "kind": K.SKAO_DATA_RESOURCE,
        "meta": {"name": "skao"},
        "phase": "PREPARING",
        "ivoa": IVOA_BLOCK,
        "skao": {
            "namespace": "ns",
            "objectname": "on",
            "objecttype": "FILE",
            "datasize": 0,
            "checksum": {"type": "adler32", "value": "0a1b2c3d"},
            "replicas": [{"rsename": "RSE1", "dataurl": "root://rse1/on"}],
        },
        "costs": COSTS,
    },
]
REQUEST = {
    "executable": DOCKER,
    "compute": COMPUTE,
    "storage": [STORAGE],
    "data": DATA,
    "schedule": {
        "requested": {"start": "2026-12-01T09:00:00Z/2026-12-01T17:00:00Z", "duration": "PT2H"}
    },
    "costs": COSTS,
    "metrics": METRICS,
}
OPTIONS = [
    {"kind": K.ENUM_VALUE_OPTION, "path": "phase", "values": ["ACCEPTED", "REJECTED"]},
    {"kind": K.STRING_VALUE_OPTION, "path": "/meta/description", "pattern": "^[a-z ]*$"},
    {
        "kind": K.INTEGER_VALUE_OPTION,
        "path": "/compute/cores/min",
        "min": 1,
        "max": 8,
        "units": "cores",
    },
    {
        "kind": K.INTEGER_DELTA_OPTION,
        "path": "/schedule/available/duration",
        "min": -60,
        "max": 60,
        "units": "minutes",
    },
]
SESSION = {
    "kind": K.SCHEDULED_EXECUTION_SESSION,
    "meta": {
        "uuid": UUID_B,
        "url": f"http://localhost:8080/sessions/{UUID_B}",
        "name": "offer-1",
        "created": "2026-11-28T10:00:00Z",
        "modified": "2026-11-28T10:00:01Z",
        "options": OPTIONS,
    },
    "phase": "OFFERED",
    "expires": "2026-11-28T10:10:00Z",
    "schedule": SCHEDULE,
    "executable": JUPYTER,
    "compute": COMPUTE,
    "storage": [STORAGE],
    "data": DATA,
    "connectors": [
        {
            "kind": "urn:connector:web",
            "status": "PREPARING",
            "protocol": "HTTPS",
            "location": "https://x/lab",
        }
    ],
    "costs": COSTS,
    "metrics": METRICS,
}
SIMPLE_SESSION = {
    "kind": K.SIMPLE_EXECUTION_SESSION,
    "meta": {"uuid": UUID_A, "url": f"http://localhost:8080/sessions/{UUID_A}"},
    "phase": "RUNNING",
    "executable": SINGULARITY,
}
OFFER_SET_YES = {
    "kind": "urn:example:offer-set",
    "meta": {"uuid": UUID_A, "url": f"http://localhost:8080/offersets/{UUID_A}"},
    "result": "YES",
    "description": "one offer",
    "offers": [SESSION],
    "costs": COSTS,
    "metrics": METRICS,
}
OFFER_SET_NO = {
    "meta": {
        "uuid": UUID_A,
        "url": f"http://localhost:8080/offersets/{UUID_A}",
        "messages": [
            {
                "level": "INFO",
                "template": "No {kind}",
                "values": {"kind": "urn:x"},
                "message": "No urn:x",
            }
        ],
    },
    "result": "NO",
}
UPDATES = [
    {"kind": K.ENUM_VALUE_UPDATE, "path": "phase", "value": "ACCEPTED"},
    {"kind": K.STRING_VALUE_UPDATE, "path": "/meta/description", "value": "renamed"},
    {"kind": K.INTEGER_VALUE_UPDATE, "path": "/compute/cores/min", "value": 4, "units": "cores"},
    {
        "kind": K.INTEGER_DELTA_UPDATE,
        "path": "/schedule/available/duration",
        "delta": -30,
        "units": "minutes",
    },
]
ERROR = {
    "status": 400,
    "title": "Invalid request",
    "messages": [
        {
            "level": "ERROR",
            "template": "The value at {path} must be at least {minimum}",
            "values": {"path": "/compute/cores/min", "minimum": "1"},
            "message": "The value at /compute/cores/min must be at least 1",
        }
    ],
}
