"""pytest plugin: ``pytest --eb-url=URL`` runs the suite's checks as pytest items.

Loaded by every pytest run in an environment where the suite is installed, so it imports
nothing heavy at module level and does nothing unless ``--eb-url`` is given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .context import Context
    from .model import Check


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ivoa-eb-conformance", "IVOA ExecutionBroker conformance suite")
    group.addoption(
        "--eb-url",
        default=None,
        help="Base URL of an ExecutionBroker to run the conformance checks "
        "against (nothing is collected without it).",
    )
    group.addoption(
        "--eb-time-budget", type=float, default=100.0, help="Time budget of the run in seconds."
    )
    group.addoption(
        "--eb-select", action="append", default=[], help="Glob of check or requirement ids to run."
    )
    group.addoption(
        "--eb-deselect",
        action="append",
        default=[],
        help="Glob of check or requirement ids to leave out.",
    )
    group.addoption(
        "--eb-header",
        action="append",
        default=[],
        metavar="'Name: value'",
        help="Extra header on every request to the broker (e.g. credentials).",
    )
    group.addoption(
        "--eb-second-header",
        action="append",
        default=[],
        metavar="'Name: value'",
        help="Header of a second identity, for the ownership checks (SEC-07).",
    )
    group.addoption(
        "--eb-no-schemathesis", action="store_true", help="Leave out the schemathesis layer."
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--eb-url", default=None):
        config.pluginmanager.register(_Session(config), "ivoa-eb-conformance-session")


class _Session:
    """Collects one item per check and shares one run context among them."""

    def __init__(self, config: pytest.Config) -> None:
        from .context import Context, Options

        def headers_of(option: str) -> dict[str, str]:
            found = {}
            for value in config.getoption(option):
                name, sep, content = value.partition(":")
                if not sep or not name.strip():
                    raise pytest.UsageError(f"{option} {value!r} is not 'Name: value'")
                found[name.strip()] = content.strip()
            return found

        headers = headers_of("--eb-header")
        self.options = Options(
            url=config.getoption("--eb-url"),
            time_budget=config.getoption("--eb-time-budget"),
            select=tuple(config.getoption("--eb-select")),
            deselect=tuple(config.getoption("--eb-deselect")),
            headers=headers,
            second_headers=headers_of("--eb-second-header"),
            schemathesis=not config.getoption("--eb-no-schemathesis"),
        )
        self.context: Context = Context(self.options)

    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        from .checks import all_checks
        from .runner import select

        checks = select(all_checks(), self.options.select, self.options.deselect)
        if not self.options.schemathesis:
            checks = [c for c in checks if c.layer != "schemathesis"]
        parent = _Container.from_parent(session, name="ivoa-eb-conformance")
        items[:] = [
            CheckItem.from_parent(parent, name=c.id, check=c, context=self.context) for c in checks
        ]

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.context.release_offers()
        self.context.client.close()


class _Container(pytest.Collector):
    def collect(self) -> list[Any]:  # pragma: no cover - items are made directly
        return []


class CheckItem(pytest.Item):
    """One check: fails with its failing outcomes, skips when it could judge nothing."""

    def __init__(self, *, check: Check, context: Context, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check
        self.context = context
        self.user_properties.append(("requirements", " ".join(check.requirements)))

    def runtest(self) -> None:
        from .model import Status
        from .runner import run_check

        outcomes, error = run_check(self.check, self.context)
        if error:
            raise RuntimeError(error)
        failures = [o for o in outcomes if o.status is Status.FAIL]
        if failures:
            raise CheckFailed(failures)
        if not any(o.status is Status.PASS for o in outcomes):
            reasons = "; ".join(sorted({o.message for o in outcomes}))
            pytest.skip(f"{', '.join(sorted({str(o.status) for o in outcomes}))}: {reasons}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CheckFailed):
            from .reports.text import evidence_text

            parts = []
            for outcome in excinfo.value.outcomes:
                parts.append(f"[{' '.join(outcome.requirements)}] {outcome.message}")
                parts += [evidence_text(e) for e in outcome.evidence[:2]]
            return "\n".join(parts)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int, str]:
        return "ivoa-eb-conformance", 0, f"{self.check.id} [{' '.join(self.check.requirements)}]"


class CheckFailed(AssertionError):
    def __init__(self, outcomes: list[Any]) -> None:
        super().__init__("; ".join(o.message for o in outcomes))
        self.outcomes = outcomes
