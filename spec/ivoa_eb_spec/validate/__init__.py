"""``ivoa-eb-validate``: a validator of ExecutionBroker documents, no broker needed.

It judges requests, offer sets, sessions, updates and error documents, in YAML, JSON or XML,
against the JSON Schema and the XML Schema of ``spec/``, and makes the checks a schema cannot
express (exact ISO 8601 rules, ordered ranges, references by name, kind spellings). Each
finding has a stable code (:mod:`.codes`), a JSON Pointer and a requirement id.
"""

from .codes import CODES, Code, Level
from .core import Result, validate_body
from .documents import DocumentType, Syntax
from .findings import Finding

__all__ = ["CODES", "Code", "DocumentType", "Finding", "Level", "Result", "Syntax", "validate_body"]
