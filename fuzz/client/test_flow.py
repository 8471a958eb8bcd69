"""The whole operator flow, driven by a Python client generated from the committed contract.

token auth → list runbooks → list tenants → preflight one tenant → start (reason + preflight_id)
→ poll the run to completion → outcome succeeded, counts consistent with the preflight.

Endpoints are looked up by (method, path) in the generated package rather than by the module
names the generator derives from operationIds, so the test pins the contract's URLs and wire
format (docs/spec.md §6), not the generator's naming. Bodies are built with the generated models'
`from_dict`; responses are read through the generated models (`.parsed`), so a response that
does not match the contract fails here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import time
import typing
from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpx
import pytest

RUNBOOK = "findings.lifecycle.rebuild"
POLL_TIMEOUT_S = 60.0
TERMINAL = {"completed", "failed", "cancelled"}


def value(x: Any) -> Any:
    """An enum member's wire value, anything else as is."""
    return getattr(x, "value", x)


class Api:
    """The generated endpoint modules, indexed by (METHOD, path template)."""

    def __init__(self, package: Any, client: Any) -> None:
        self.package = package
        self.client = client
        self.modules: dict[tuple[str, str], Any] = {}
        api = importlib.import_module(package.__name__ + ".api")
        for info in pkgutil.walk_packages(api.__path__, api.__name__ + "."):
            if info.ispkg:
                continue
            module = importlib.import_module(info.name)
            source = Path(module.__file__).read_text(encoding="utf-8")
            method = re.search(r'"method":\s*"(\w+)"', source)
            url = re.search(r'"url":\s*"([^"]+)"', source)
            if method and url:
                self.modules[(method.group(1).upper(), url.group(1))] = module

    def endpoint(self, method: str, path: str) -> Any:
        try:
            return self.modules[(method, path)]
        except KeyError:
            known = "\n  ".join(f"{m} {p}" for m, p in sorted(self.modules, key=lambda k: k[1]))
            pytest.fail(f"the generated client has no {method} {path}; it has:\n  {known}")

    def call(self, method: str, path: str, *, body: dict | None = None, **kwargs: Any) -> Any:
        fn = self.endpoint(method, path).sync_detailed
        if body is not None:
            kwargs["body"] = self.model_for(fn, "body").from_dict(body)
        return fn(client=self.client, **kwargs)

    @staticmethod
    def model_for(fn: Any, param: str) -> Any:
        """The generated model class of `fn`'s `param` (unwrapping `X | Unset`)."""
        hint = typing.get_type_hints(fn)[param]
        for candidate in (hint, *typing.get_args(hint)):
            if inspect.isclass(candidate) and hasattr(candidate, "from_dict"):
                return candidate
        pytest.fail(f"{fn.__module__}: parameter {param!r} is not a generated model ({hint!r})")


def ok(response: Any, *expected: HTTPStatus) -> Any:
    """Asserts the status and that the generated client parsed the body into a model."""
    expected = expected or (HTTPStatus.OK,)
    assert response.status_code in expected, (
        f"expected {[int(s) for s in expected]}, got {int(response.status_code)}: "
        f"{response.content[:500]!r}"
    )
    assert response.parsed is not None, f"the generated client could not parse {response.content[:500]!r}"
    assert hasattr(response.parsed, "to_dict"), f"unparsed body: {response.parsed!r}"
    return response.parsed


@pytest.fixture(scope="session")
def api(generated: Any, base_url: str, token: str) -> Api:
    client = generated.AuthenticatedClient(
        base_url=base_url,
        token=token,
        # A status code the contract does not document is a failure, not a silent None.
        raise_on_unexpected_status=True,
        timeout=httpx.Timeout(15.0),
    )
    return Api(generated, client)


def test_unauthenticated_request_gets_a_problem_document(generated: Any, base_url: str) -> None:
    """Without the token the generated client gets the documented 401 problem document."""
    anonymous = Api(generated, generated.Client(base_url=base_url, raise_on_unexpected_status=True))
    response = anonymous.call("GET", "/system/api/auth/me")
    problem = ok(response, HTTPStatus.UNAUTHORIZED)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem.status == 401
    assert problem.title


def test_token_preflight_start_poll_to_completion(api: Api) -> None:
    # Token auth: the bearer token identifies the operator and its capabilities.
    me = ok(api.call("GET", "/system/api/auth/me"))
    assert me.operator.username == "fuzzer"
    capabilities = {value(c) for c in me.operator.capabilities}
    assert {"ops.runbooks.view", "ops.runbooks.run", "ops.runs.view"} <= capabilities, capabilities

    # The runbook catalogue.
    runbooks = ok(api.call("GET", "/system/api/ops/runbooks"))
    keys = [rb.key for rb in runbooks.items]
    assert RUNBOOK in keys, keys

    # Targetable tenants (never the platform tenant).
    tenants = ok(api.call("GET", "/system/api/ops/tenants"))
    assert tenants.items, "the demo seed should provide tenants"
    assert tenants.total >= len(tenants.items)

    # Preflight single tenants; prefer one that has findings to repair.
    chosen = None
    for tenant in tenants.items[:10]:
        body = {"scope": {"kind": "tenant", "tenant_id": tenant.id}}
        preflight = ok(api.call("POST", "/system/api/ops/runbooks/{key}/preflight", key=RUNBOOK, body=body))
        assert preflight.tenants_in_scope == 1
        assert preflight.runbook == RUNBOOK
        assert preflight.preflight_id
        if chosen is None or (preflight.findings_to_change > 0 and chosen[1].findings_to_change == 0):
            chosen = (tenant, preflight)
        if preflight.findings_to_change > 0:
            break
    assert chosen is not None
    tenant, preflight = chosen
    assert preflight.confirmation.required is False, "a single-tenant run needs no typed confirmation"

    # Start with a reason and the preflight id.
    start_body = {
        "scope": {"kind": "tenant", "tenant_id": tenant.id},
        "reason": {"code": "data_repair", "text": "generated-client test (fuzz/client/test_flow.py)"},
        "preflight_id": str(preflight.preflight_id),
        "confirmation": None,
    }
    started = api.call("POST", "/system/api/ops/runbooks/{key}/runs", key=RUNBOOK, body=start_body)
    run = ok(started, HTTPStatus.CREATED)
    assert started.headers.get("location", "").endswith(f"/system/api/ops/runs/{run.id}"), started.headers
    assert run.deduplicated is False
    assert value(run.source) is not None
    assert run.reason.text.startswith("generated-client test")

    # Poll until the run reaches a terminal status (If-None-Match when the contract offers it).
    detail = api.endpoint("GET", "/system/api/ops/runs/{id}").sync_detailed
    conditional = "if_none_match" in inspect.signature(detail).parameters
    etag = None
    deadline = time.monotonic() + POLL_TIMEOUT_S
    current = run
    polls = not_modified = 0
    while value(current.status) not in TERMINAL:
        assert time.monotonic() < deadline, (
            f"run {run.id} not finished after {POLL_TIMEOUT_S:.0f} s: {current.to_dict()}"
        )
        time.sleep(0.25)
        kwargs = {"if_none_match": etag} if conditional and etag else {}
        response = detail(client=api.client, id=run.id, **kwargs)
        polls += 1
        if response.status_code == HTTPStatus.NOT_MODIFIED:
            not_modified += 1
            continue
        current = ok(response)
        etag = response.headers.get("etag")
        assert 0 <= current.progress_percent <= 100

    # Outcome and counts.
    assert value(current.status) == "completed", current.to_dict()
    assert value(current.outcome) == "succeeded", current.to_dict()
    counts = current.counts
    assert counts.total == 1
    assert counts.processed == counts.total
    assert counts.succeeded == 1 and counts.failed == 0 and counts.skipped == 0
    assert counts.succeeded + counts.failed + counts.skipped == counts.processed
    # The runbook is deterministic: the run changes exactly what the preflight predicted.
    assert counts.findings_changed == preflight.findings_to_change
    assert current.progress_percent == 100
    assert current.started_at is not None and current.completed_at is not None
    assert current.completed_at >= current.started_at

    # Per-tenant items agree with the counts.
    items = ok(api.call("GET", "/system/api/ops/runs/{id}/items", id=run.id))
    assert [item.tenant_id for item in items.items] == [tenant.id]
    item = items.items[0]
    assert value(item.status) == "succeeded"
    assert item.findings_changed == counts.findings_changed
    assert item.error is None
    print(
        f"run {run.id}: tenant {tenant.id}, {counts.findings_changed} findings changed, "
        f"{polls} polls ({not_modified} × 304)"
    )
