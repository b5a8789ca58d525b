"""The kinds reference: every kind URI of the vocabulary, by family, with its aliases."""

from __future__ import annotations

from ivoa_eb_spec.vocabulary import FAMILIES, load_kinds
from mdutil import anchor, table


def schema_link(schema: str) -> str:
    file, _, fragment = schema.partition("#")
    target = anchor(file.removesuffix(".yaml") + fragment.replace("/$defs/", "--"))
    return f"[`{schema}`](classes.md#{target})"


def page() -> str:
    kinds = load_kinds()
    parts = [
        "# Kinds",
        "",
        "Every kind URI of the interface, generated from `spec/vocabulary/kinds.yaml`. A kind "
        "URI names the class of a component; it is the discriminator in JSON, YAML (the `kind` "
        "property) and XML (the `kind` attribute). The URIs are those of the Calycopis v1.0 "
        "line, kept exactly so that clients and brokers of that line interoperate.",
        "",
        "**Aliases** are other spellings that prototype brokers and clients have used for the "
        "same kind. Schemas accept only the canonical URI; the reference broker maps an alias to "
        "it and says so in a WARN message. A conforming broker need not accept aliases.",
        "",
    ]
    for family in FAMILIES:
        members = [kind for kind in kinds if kind.family == family]
        if not members:
            continue
        parts += [f"## {family.capitalize()}", ""]
        parts.append(
            table(
                ("kind URI", "title", "description", "schema"),
                [(f"`{k.uri}`", k.title, k.description, schema_link(k.schema)) for k in members],
            )
        )
        aliased = [k for k in members if k.aliases]
        if aliased:
            parts += ["Aliases:", ""]
            for k in aliased:
                parts.append(f"- `{k.name}`: " + ", ".join(f"`{alias}`" for alias in k.aliases))
            parts.append("")
    return "\n".join(parts) + "\n"
