"""Message items: a value quoting a program's output keeps every XML answer possible."""

from __future__ import annotations

from ivoa_eb_broker.service.messages import item, xml_safe
from ivoa_eb_spec.codecs.xml_codec import dump_xml, load_xml


def test_characters_xml_cannot_carry_are_replaced_and_the_rest_kept() -> None:
    assert xml_safe("ok \t\n\r é 🙂") == "ok \t\n\r é 🙂"
    assert xml_safe("\x1b[31mred\x1b[0m\x00\ud800") == "\ufffd[31mred\ufffd[0m\ufffd\ufffd"


def test_a_message_quoting_coloured_output_is_served_as_xml() -> None:
    output = "\x1b[32mPASS\x1b[0m all 3 tests\x07"
    message = item("ERROR", "The job failed; its output:\n{output}", "/phase", output=output)
    document = {"status": 500, "title": "t", "messages": [message]}
    body = dump_xml(document, "error")
    _, back = load_xml(body)
    assert back["messages"][0]["values"]["output"] == "\ufffd[32mPASS\ufffd[0m all 3 tests\ufffd"
    assert back["messages"][0]["message"].endswith("all 3 tests\ufffd")
