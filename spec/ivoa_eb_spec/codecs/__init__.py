"""Reading and writing the interface's bodies as YAML, JSON and XML.

Every parser is hardened for input from the network and every fault comes out as one
:class:`DecodeError`, whose problems carry JSON Pointers into the document.
"""

from .documents import MediaType, decode, dump_document, encode, load_document, root_for
from .errors import DecodeError, Problem, pointer

__all__ = [
    "DecodeError",
    "MediaType",
    "Problem",
    "decode",
    "dump_document",
    "encode",
    "load_document",
    "pointer",
    "root_for",
]
