"""Response contracts: does an answer have the shape Graph documents for it?

Contract testing has two sides. The differ checks the consumer's side (a client's payload against
the documented request contract); this module checks the provider's side, with the same machinery:
a fixture's `response_contract` names the response type, its resource table and the tables of the
nested types its example uses, and a collection answers `{"value": [...]}`. `@odata.*` annotations
(`@odata.context`, `@odata.nextLink`, `@odata.count`, ...) are allowed anywhere.

The answers checked are whatever stands in for Graph: a fixture's documented example (`lint`,
`verify`), a stub's body, a recording, the real service (`drift`). Checkers are built once per
fixture and kept, so a stub checked on every request costs what a request check costs.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from threading import Lock

from .differ import ContractChecker
from .models import Contract, Finding, Fixture, JsonValue, Property, TypeDef, type_key

__all__ = ["checker_contract", "documented_response_findings", "response_checker", "response_findings"]

_CACHE_SIZE = 4096
# (id(fixture), severities) -> (the fixture, kept so that its id is not reused while cached; its checker)
_checkers: OrderedDict[tuple[int, tuple[tuple[str, str], ...]], tuple[Fixture, ContractChecker | None]] = OrderedDict()
_lock = Lock()  # the pytest plugin's server runs on its own thread, next to the test's


def response_findings(fixture: Fixture, body: JsonValue, severities: Mapping[str, str] | None = None) -> tuple[Finding, ...]:
    """Where `body`, a JSON answer standing in for `fixture` (a stub's, a recording's, the real
    service's), breaks the fixture's response contract: findings with JSON Pointers into `body`,
    as request findings have. `severities` overrides the default severity per finding kind.

    Without a response contract (an older fixture, a recording) the documented answer's own shape
    is the contract, as truncated; a fixture with neither gives no findings. The checker is made
    once per fixture and severities and kept (the last 4,096)."""
    checker = response_checker(fixture, severities)
    return () if checker is None else checker.check(body)


def response_checker(fixture: Fixture, severities: Mapping[str, str] | None = None) -> ContractChecker | None:
    """The (cached) checker of `fixture`'s answers; None where nothing documents their shape."""
    key = (id(fixture), tuple(sorted((severities or {}).items())))
    with _lock:
        cached = _checkers.get(key)
        if cached is not None and cached[0] is fixture:
            _checkers.move_to_end(key)
            return cached[1]
    checker = _new_checker(fixture, severities)
    with _lock:
        _checkers[key] = (fixture, checker)
        while len(_checkers) > _CACHE_SIZE:
            _checkers.popitem(last=False)
    return checker


def _new_checker(fixture: Fixture, severities: Mapping[str, str] | None) -> ContractChecker | None:
    example = fixture.response.body.json if fixture.response.body.is_json else None
    contract = fixture.response_contract
    if contract is None:
        if example is None:
            return None
        contract = Contract(truncated=True)  # the documented answer's shape alone
    return ContractChecker(checker_contract(contract), example, severities)


def checker_contract(contract: Contract) -> Contract:
    """The contract as the differ reads it: a collection becomes an object whose `value` property is
    a collection of the documented type, that type one of the contract's nested types."""
    if not contract.collection:
        return contract
    name = (contract.type or "object").lstrip("#").removeprefix("microsoft.graph.")
    item = TypeDef(name, contract.properties)
    types = (item, *(t for t in contract.types if type_key(t.name) != type_key(name)))
    value = Property("value", name, collection=True, description="the collection's items")
    return Contract(type=None, truncated=contract.truncated, inferred=contract.inferred, properties=(value,), types=types)


def documented_response_findings(fixture: Fixture) -> tuple[Finding, ...]:
    """Where a fixture's documented answer breaks its own response contract (its response type's
    table): the documentation contradicting itself. Only errors and warnings; () where the fixture
    has no response contract or no JSON answer."""
    body = fixture.response.body
    if fixture.response_contract is None or not body.is_json:
        return ()
    return tuple(f for f in response_findings(fixture, body.json) if f.severity != "info")
