"""The rule for text XML 1.0 cannot carry: where such text is found, and what is made safe."""

from __future__ import annotations

from ivoa_eb_spec.xmltext import IllegalText, illegal_text, xml_safe


def test_legal_text_passes() -> None:
    document = {"a": ["ok \t\n\r é 🙂", {"b": "\ud7ff\ue000\ufffd\U0010ffff"}], "n": 1,
                "t": True, "z": None}
    assert illegal_text(document) == []


def test_each_outcast_is_found_with_its_pointer() -> None:
    for character in ("\x00", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\ud800", "\udfff",
                      "\ufffe", "\uffff"):
        document = {"executable": {"command": ["ok", f"x{character}y"]}}
        assert illegal_text(document) == [
            IllegalText("/executable/command/1", ord(character), in_name=False)
        ]


def test_a_property_name_is_reported_at_its_object() -> None:
    found = illegal_text({"environment": {"A~/\x1b": "v", "B": "\x00"}})
    assert found == [IllegalText("/environment", 0x1B, in_name=True),
                     IllegalText("/environment/B", 0, in_name=False)]
    assert found[0].character == "U+001B"


def test_pointers_escape_and_order_follows_the_document() -> None:
    found = illegal_text({"a/b": "\x01", "c~d": ["\x02"], "e": "\x03"})
    assert [f.pointer for f in found] == ["/a~1b", "/c~0d/0", "/e"]


def test_the_limit_bounds_the_answer_and_depth_costs_no_recursion() -> None:
    deep: object = "\x00"
    for _ in range(5000):
        deep = [deep]
    assert len(illegal_text(deep)) == 1
    assert len(illegal_text(["\x00"] * 100, limit=7)) == 7


def test_xml_safe_replaces_only_outcasts() -> None:
    assert xml_safe("ok \t\n\r é 🙂") == "ok \t\n\r é 🙂"
    assert xml_safe("\x1b[31m\x00\ud800\uffff") == "\ufffd[31m\ufffd\ufffd\ufffd"
