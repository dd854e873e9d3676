"""The reliability suite's budgets (fast in `make test`, long with --soak) and its figures.

A test that takes a `budget` argument runs twice over: `[fast]` in every run, and `[soak]`,
marked slow, only with `--soak` (`make soak` runs `pytest -m slow tests/reliability --soak`).
Figures the tests record (kills survived, faults injected, requests served, sampler lag) are
printed at the end of the run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.support import FAST, SOAK, Figures

SOAK_OPTION = "--soak"
HERE = Path(__file__).parent


_FIGURES = pytest.StashKey[Figures]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """--soak: run the long forms too."""
    parser.addoption(
        SOAK_OPTION,
        action="store_true",
        default=False,
        help="run the reliability suite's long forms (200 kills, 60 s of load, ...)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """A place for the figures of this run."""
    config.stash[_FIGURES] = Figures()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that takes a `budget` in its fast form and, marked slow, its soak form."""
    if "budget" in metafunc.fixturenames:
        metafunc.parametrize(
            "budget",
            [pytest.param(FAST, id="fast"), pytest.param(SOAK, id="soak", marks=pytest.mark.slow)],
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without --soak the long forms are deselected (not skipped: they never ran)."""
    if config.getoption(SOAK_OPTION):
        return
    soak = [
        item
        for item in items
        if item.get_closest_marker("slow") is not None and HERE in item.path.parents
    ]
    if soak:
        config.hook.pytest_deselected(items=soak)
        items[:] = [item for item in items if item not in soak]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the figures the tests recorded."""
    figures = terminalreporter.config.stash.get(_FIGURES, None)
    if figures is None or not (figures.totals or figures.peaks):
        return
    terminalreporter.write_sep("-", "reliability figures")
    for name, value in sorted(figures.totals.items()):
        terminalreporter.write_line(f"{name}: {value:g}")
    for name, value in sorted(figures.peaks.items()):
        terminalreporter.write_line(f"{name} (max): {value:.4g}")


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    """Where a test records the figures of the run."""
    return request.config.stash[_FIGURES]
