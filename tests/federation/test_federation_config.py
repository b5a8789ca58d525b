"""The federation's config: the how-to's files load; a wrong key is an error naming it."""

from __future__ import annotations

from pathlib import Path

import pytest
from ivoa_eb_broker.config import ConfigError, load

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "federation"


def test_the_how_tos_config_files_load() -> None:
    head = load(EXAMPLES / "head.toml").federation
    assert [c.name for c in head.children] == ["site-a", "site-b", "site-c"]
    assert head.children[1].token == "change-me" and head.children[2].kinds
    for site in ("site-a", "site-b", "site-c"):
        assert not load(EXAMPLES / f"{site}.toml").federation.enabled


@pytest.mark.parametrize(("text", "named"), [
    ('[[children]]\nname = "a"\n', "url"),
    ('[[children]]\nname = "a"\nurl = "http://x"\ntimeout = 0\n', "timeout"),
    ('[[children]]\nname = "a"\nurl = "http://x"\nusername = "u"\n', "username, password"),
    ('[[children]]\nname = "a"\nurl = "http://x"\nkinds = ["nope"]\n', "kinds"),
    ('[[children]]\nname = "a"\nurl = "http://x"\nspeed = 1\n', "speed"),
    ('[federation]\nrank = ["cheapest"]\n', "rank"),
    ('[federation]\nid = "a b"\n', "id"),
])
def test_a_wrong_setting_is_named(tmp_path: Path, text: str, named: str) -> None:
    path = tmp_path / "broker.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=named):
        load(path)
