"""YAML reading and writing, hardened for documents from the network.

The loader builds JSON values only: mappings with string keys, sequences, strings, integers,
floats, booleans and null. Plain scalars resolve as in the JSON schema of YAML 1.2 (so
``yes``, ``on`` and ``2026-01-01T00:00:00Z`` stay strings, as they are in JSON), any other
tag (``!!python/object``, ``!!timestamp``, ``!!binary``, ``!!set`` ...) is refused, and so are
duplicate keys, recursive aliases, more than a few aliases and alias expansion beyond a
bound (the "billion laughs" bomb).

Scanning, parsing and emitting run in libyaml (PyYAML's C extension) when it is installed,
as it is with the PyYAML wheels; the hardening (composer, constructor, resolver) is the same
Python code either way, so both read a document alike. Without libyaml the pure-Python
reader, scanner, parser and emitter do the same job, slower.
"""

from __future__ import annotations

import io
import re
from typing import Any, Final

import yaml
from yaml.composer import Composer
from yaml.constructor import BaseConstructor
from yaml.events import AliasEvent, CollectionStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader, ReaderError
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

try:  # libyaml: the C scanner, parser and emitter
    from yaml._yaml import CEmitter as _CEmitter
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _CEmitter = _CParser = None

from .errors import DecodeError

__all__ = ["MAX_ALIASES", "MAX_EXPANDED_NODES", "dump_yaml", "load_yaml"]

#: Aliases allowed in one document: enough to reuse a block or two, too few for a bomb.
MAX_ALIASES: Final = 16
#: Nodes a document may have once its aliases are expanded.
MAX_EXPANDED_NODES: Final = 100_000

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


class _YamlInputError(Exception):
    """A document this loader refuses, with the reason."""


class _JsonResolver(BaseResolver):
    """Resolves plain scalars to the JSON types only (the JSON schema of YAML 1.2)."""


#: Implicit types of plain scalars: YAML 1.2's JSON schema, with its common spellings.
_IMPLICIT: tuple[tuple[str, re.Pattern[str], list[str]], ...] = (
    (_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")),
    (_NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]),
    (_INT, re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789")),
    (
        _FLOAT,
        re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"),
        list("-+.0123456789"),
    ),
)
for _tag, _pattern, _first in _IMPLICIT:
    _JsonResolver.add_implicit_resolver(_tag, _pattern, _first)


class _BoundedComposer(Composer):
    """Counts aliases and refuses recursive ones while the node graph is built."""

    def __init__(self) -> None:
        super().__init__()
        self._aliases = 0
        self._open_anchors: set[str] = set()

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _YamlInputError(f"more than {MAX_ALIASES} aliases")
            if event.anchor in self._open_anchors:
                raise _YamlInputError(f"alias *{event.anchor} refers to a node that contains it")
            return super().compose_node(parent, index)
        anchor = event.anchor if isinstance(event, CollectionStartEvent) else None
        if anchor is not None:
            self._open_anchors.add(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            if anchor is not None:
                self._open_anchors.discard(anchor)

    @property
    def used_aliases(self) -> bool:
        return self._aliases > 0


class _JsonConstructor(BaseConstructor):
    """Builds JSON values; refuses other tags, duplicate keys and non-string keys."""

    def construct_json_mapping(self, node: MappingNode) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise _YamlInputError(
                    f"mapping key {key!r} is not a string (line {_line(key_node)})"
                )
            if key in result:
                raise _YamlInputError(f"duplicate key {key!r} (line {_line(key_node)})")
            result[key] = self.construct_object(value_node, deep=True)
        return result

    def construct_json_sequence(self, node: SequenceNode) -> list[Any]:
        return [self.construct_object(child, deep=True) for child in node.value]

    def construct_json_scalar(self, node: ScalarNode) -> Any:
        value = node.value
        if node.tag == _STR:
            return value
        if node.tag == _NULL:
            if value not in ("", "~", "null", "Null", "NULL"):
                raise _YamlInputError(f"{value!r} is not null (line {_line(node)})")
            return None
        if node.tag == _BOOL:
            lowered = value.lower()
            if lowered not in ("true", "false"):
                raise _YamlInputError(f"{value!r} is not a boolean (line {_line(node)})")
            return lowered == "true"
        try:
            return int(value) if node.tag == _INT else float(value)
        except ValueError as error:
            raise _YamlInputError(f"{value!r} is not a JSON number (line {_line(node)})") from error

    def construct_refused(self, node: Node) -> Any:
        raise _YamlInputError(
            f"tag {node.tag} is not allowed (line {_line(node)}): JSON types only"
        )


for _tag in (_STR, _INT, _FLOAT, _BOOL, _NULL):
    _JsonConstructor.add_constructor(_tag, _JsonConstructor.construct_json_scalar)
_JsonConstructor.add_constructor(_SEQ, _JsonConstructor.construct_json_sequence)
_JsonConstructor.add_constructor(_MAP, _JsonConstructor.construct_json_mapping)
_JsonConstructor.add_constructor(None, _JsonConstructor.construct_refused)


class _PureLoader(Reader, Scanner, Parser, _BoundedComposer, _JsonConstructor, _JsonResolver):
    """PyYAML's pure-Python pipeline with the hardened composer, constructor and resolver."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        _BoundedComposer.__init__(self)
        _JsonConstructor.__init__(self)
        _JsonResolver.__init__(self)


if _CParser is not None:

    class _CLoader(_BoundedComposer, _CParser, _JsonConstructor, _JsonResolver):  # type: ignore[misc,valid-type]
        """libyaml's scanner and parser (events), then the same hardened composer,
        constructor and resolver as the pure-Python loader: only the events come from C."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            _BoundedComposer.__init__(self)
            _JsonConstructor.__init__(self)
            _JsonResolver.__init__(self)

    _HardenedLoader: type = _CLoader
else:  # pragma: no cover - PyYAML built without libyaml
    _HardenedLoader = _PureLoader


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _expanded_size(node: Node, sizes: dict[int, int]) -> int:
    """Nodes in the tree an aliased graph stands for, computed without expanding it."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    if isinstance(node, MappingNode):
        size = 1 + sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value)
    elif isinstance(node, SequenceNode):
        size = 1 + sum(_expanded_size(child, sizes) for child in node.value)
    else:
        size = 1
    sizes[id(node)] = size
    return size


def load_yaml(body: bytes) -> Any:
    """The JSON value of a one-document YAML body, or :class:`DecodeError` saying why not."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DecodeError(
            [("", f"the body is not UTF-8: {error.reason} at byte {error.start}")]
        ) from None
    try:
        # The reader refuses control characters as soon as it is built: inside the try.
        loader = _HardenedLoader(text)
    except yaml.YAMLError as error:
        raise DecodeError([("", f"YAML refused: {error}")]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise _YamlInputError("the body holds no YAML document")
        if loader.used_aliases and _expanded_size(node, {}) > MAX_EXPANDED_NODES:
            raise _YamlInputError(f"aliases expand to more than {MAX_EXPANDED_NODES} nodes")
        return loader.construct_document(node)
    except (_YamlInputError, ReaderError) as error:
        # libyaml reads lazily: a refused character shows up here, not when it is built.
        raise DecodeError([("", f"YAML refused: {error}")]) from None
    except yaml.YAMLError as error:
        if "maximum nesting depth" in str(error):  # libyaml's own bound (1000 levels)
            raise DecodeError([("", "YAML refused: nested too deeply")]) from None
        raise DecodeError([("", f"YAML syntax error: {error}")]) from None
    except RecursionError:
        raise DecodeError([("", "YAML refused: nested too deeply")]) from None
    finally:
        loader.dispose()


def _readable(base: type[yaml.SafeDumper]) -> type[yaml.SafeDumper]:
    """A dumper on ``base``: block style, no anchors; strings that look like other types
    are quoted."""

    class Readable(base):  # type: ignore[valid-type,misc]
        def ignore_aliases(self, data: Any) -> bool:
            return True

        def represent_text(self, data: str) -> ScalarNode:
            # A reader folds NEL and the Unicode line separators of an unquoted or
            # single-quoted scalar into plain line breaks; double quotes carry them as escapes.
            style = '"' if _FOLDED.search(data) else None
            return self.represent_scalar(_STR, str(data), style=style)

        def represent_data(self, data: Any) -> Node:
            # Mappings, lists and strings straight to their nodes, as the generic path would
            # build them in block style: it looks up each value's representer through the
            # type's MRO, a third of the time of rendering an offer set.
            kind = type(data)
            if self.default_flow_style is False:
                if kind is dict:
                    return MappingNode(_MAP, [(self.represent_data(k), self.represent_data(v))
                                              for k, v in data.items()], flow_style=False)
                if kind is list:
                    return SequenceNode(_SEQ, [self.represent_data(item) for item in data],
                                        flow_style=False)
            if kind is str:
                return self.represent_text(data)
            return super().represent_data(data)  # type: ignore[no-any-return]

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            # The emitter asks, for every scalar, which tag it would have unquoted; names
            # and kind URIs repeat in every answer, so short ones are remembered.
            if kind is not ScalarNode or len(value) > 200:
                return super().resolve(kind, value, implicit)
            key = (value, implicit)
            tag = resolved.get(key)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(resolved) >= 4096:
                    resolved.clear()
                resolved[key] = tag
            return tag

    resolved: dict[tuple[str, Any], str] = {}

    # A string that our loader would read as another type is quoted, as well as one that a
    # YAML 1.1 reader would (the dumper's own resolvers): so both read the string back.
    for tag, pattern, first in _IMPLICIT:
        Readable.add_implicit_resolver(tag, pattern, first)
    Readable.add_representer(str, Readable.represent_text)
    # Enum members that are strings (phases, levels) are written as their value.
    Readable.add_multi_representer(str, Readable.represent_text)
    return Readable


_FOLDED = re.compile("[\x85\u2028\u2029\r]")
_PureDumper = _readable(yaml.SafeDumper)
#: The dumper in use: libyaml's emitter when installed.
_ReadableDumper = _readable(yaml.CSafeDumper) if _CEmitter is not None else _PureDumper
#: Answers which tag a plain scalar would be read as (the dumper's resolvers, no stream).
_RESOLVER = _PureDumper(io.StringIO())


#: Strings written by the direct writer: words of these characters, single spaces between;
#: anything else (quotes to escape, line breaks, leading indicators) goes to PyYAML.
_SIMPLE = re.compile(
    r"(?:-[A-Za-z0-9_./(]|[A-Za-z0-9_./(])[A-Za-z0-9_./:+=(),;-]*(?: [A-Za-z0-9_./:+=(),;-]+)*")
#: PyYAML's line width (``width`` below): a scalar with spaces that would pass it is folded.
_WIDTH = 100
_SCALARS: dict[str, str | None] = {}


def _scalar(text: str, column: int) -> str | None:
    """How PyYAML writes the string ``text`` starting at ``column``, if it is simple: plain,
    or single-quoted when plain would read as another type; None otherwise."""
    written = _SCALARS.get(text)
    if written is None:
        if (_SIMPLE.fullmatch(text) is None or ": " in text or text.endswith(":")
                or text.startswith("...")):
            return None
        plain = _RESOLVER.resolve(ScalarNode, text, (True, False)) == _STR
        written = text if plain else f"'{text}'"
        if len(_SCALARS) >= 4096:
            _SCALARS.clear()
        _SCALARS[text] = written
    if " " in written and column + len(written) > _WIDTH:
        return None  # PyYAML would fold it at a space
    return written


def _direct(value: Any, indent: int, column: int, out: list[str]) -> bool:
    """Append the block-style YAML of ``value`` (after a key or a dash that ended at
    ``column``) exactly as PyYAML writes it; False when it holds something this writer
    leaves to PyYAML (floats, unusual strings)."""
    kind = type(value)
    if kind is dict:
        if not value:
            out.append(" {}\n" if column else "{}\n")
            return True
        if column:
            out.append("\n")
        return _mapping(value, indent, out, None)
    if kind is list:
        if not value:
            out.append(" []\n" if column else "[]\n")
            return True
        if column:
            out.append("\n")
        return _sequence(value, indent - 2 if column else indent, out, None)
    if value is None:
        text: str | None = "null"
    elif kind is bool:
        text = "true" if value else "false"
    elif kind is int:
        text = str(value)
    elif isinstance(value, str):
        text = _scalar(str(value), column + 1)
    else:
        return False
    if text is None:
        return False
    out.append(f" {text}\n")
    return True


def _mapping(value: dict[Any, Any], indent: int, out: list[str], first: str | None) -> bool:
    """A non-empty mapping at ``indent``; ``first`` replaces the first key's indentation
    (a mapping that is a list item starts on the dash's line)."""
    pad = " " * indent
    for key, item in value.items():
        if type(key) is not str or len(key) >= 128:
            return False
        name = _scalar(key, indent)
        if name is None:
            return False
        out.append(f"{first if first is not None else pad}{name}:")
        first = None
        if not _direct(item, indent + 2, indent + len(name) + 1, out):
            return False
    return True


def _sequence(value: list[Any], indent: int, out: list[str], first: str | None) -> bool:
    """A non-empty list whose dashes are at ``indent`` (a list under a key is not indented
    further, as PyYAML writes it)."""
    pad = " " * indent
    for item in value:
        dash = f"{first if first is not None else pad}- "
        first = None
        kind = type(item)
        if kind is dict and item:
            if not _mapping(item, indent + 2, out, dash):
                return False
        elif kind is list and item:
            if not _sequence(item, indent + 2, out, dash):
                return False
        else:
            out.append(dash[:-1])
            if not _direct(item, indent + 2, indent + 1, out):
                return False
    return True


def _write_direct(document: Any) -> bytes | None:
    """The YAML of a mapping or list whose every scalar is simple, written without PyYAML's
    node graph and emitter (most answers are; rendering was a quarter of a request's
    time); None for anything else. ``tests/spec/test_yaml_fast_path.py`` holds it
    byte-identical to PyYAML's output."""
    out: list[str] = []
    if type(document) is dict and document:
        done = _mapping(document, 0, out, None)
    elif type(document) is list and document:
        done = _sequence(document, 0, out, None)
    else:
        return None
    return "".join(out).encode("utf-8") if done else None


def dump_yaml(document: Any) -> bytes:
    """A readable YAML body of a JSON value: block style, keys in the document's order."""
    direct = _write_direct(document)
    if direct is not None:
        return direct
    return yaml.dump(  # type: ignore[no-any-return]
        document,
        Dumper=_ReadableDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
        encoding="utf-8",
    )
