"""`matcher` stays a pure library: stdlib + sortedcontainers only, no clock, no randomness, no env."""

from __future__ import annotations

import ast
import doctest
import importlib
import pathlib
import sys

import pytest

import matcher

PACKAGE = pathlib.Path(matcher.__file__).parent
MODULES = sorted(PACKAGE.glob("*.py"))
ALLOWED_THIRD_PARTY = {"sortedcontainers"}
FORBIDDEN_CALLS = {"time", "time_ns", "monotonic", "perf_counter", "now", "utcnow", "random", "getenv", "urandom",
                   "uuid4", "environ"}


def imported_roots(path: pathlib.Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_imports_only_stdlib_and_sortedcontainers(path):
    foreign = {root for root in imported_roots(path)
               if root != "matcher" and root not in sys.stdlib_module_names and root not in ALLOWED_THIRD_PARTY}
    assert foreign == set()


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_reads_no_clock_randomness_or_environment(path):
    tree = ast.parse(path.read_text())
    roots = imported_roots(path)
    assert not roots & {"time", "datetime", "random", "os", "uuid", "secrets"}
    names = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert not names & FORBIDDEN_CALLS


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_doctests(path):
    module = importlib.import_module(f"matcher.{path.stem}" if path.stem != "__init__" else "matcher")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_public_classes_carry_an_example():
    for name in ("SymbolSpec", "MatchingEngine", "AccountLedger", "Ledger", "Exchange", "ExecutionReport",
                 "PlaceOrder", "CancelOrder", "AmendOrder", "Deposit", "Withdraw", "AdvanceTime"):
        assert ">>>" in (getattr(matcher, name).__doc__ or ""), name
