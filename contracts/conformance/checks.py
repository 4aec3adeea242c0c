"""A small framework for the scripted checks: each check is a named coroutine that either
returns (passed) or raises ``CheckFailed`` with the expected and actual values and the exchange
that shows it. Checks may need facts an earlier check established (the account, the service...).
Each check names the facts it ``provides``, so the dependencies are explicit: when the provider
failed, the dependent ones fail *caused by* it (the report points at that root and the score
counts it once); when the provider was not applicable, they are not applicable, naming why.

A check gated by a capability the adapter claims (``capability``) that meets a 422
``unsupported_operation`` fails naming the capability: a claim is a promise.

The expectation helpers validate every answer against the contract: a documented status, the
documented media type, and a body matching the response schema.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from contracts.conformance.client import TargetClient
from contracts.conformance.levels import Conformance
from contracts.conformance.results import UNSUPPORTED, CheckResult, Exchange, Stage, Status, curl, refused
from contracts.conformance.spec import Contract, schema_errors

M = TypeVar("M", bound=BaseModel)


class CheckFailed(Exception):
    def __init__(
        self, expected: str, actual: str, exchange: Exchange | None = None, detail: str = ""
    ) -> None:
        super().__init__(f"expected {expected}; got {actual}")
        self.expected = expected
        self.actual = actual
        self.exchange = exchange
        self.detail = detail


class NotApplicable(Exception):
    """Raised by a check that finds, while running, that it cannot apply to this adapter."""


Capabilities = Mapping[str, Any]


@dataclass
class Context:
    """What checks share: the client, the capabilities and the facts earlier checks set."""

    client: TargetClient
    capabilities: Capabilities
    run_id: str
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def contract(self) -> Contract:
        return self.client.contract

    def fact(self, name: str) -> Any:
        return self.facts[name]


CheckFn = Callable[[Context], Awaitable[None]]
Applicability = Callable[[Capabilities], str | None]
Reproduction = Callable[[Context], Exchange | None]


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    run: CheckFn
    operations: tuple[str, ...] = ()
    #: Facts (set by earlier checks) this check cannot run without.
    needs: tuple[str, ...] = ()
    #: Returns why the check does not apply to this adapter (a capability it declares unsupported).
    applies: Applicability | None = None
    #: The request that reproduces a failure raised without one (default: the check's last request).
    reproduce: Reproduction | None = None
    #: The facts this check establishes for later ones (the declared dependency graph).
    provides: tuple[str, ...] = ()
    #: The conformance level the check belongs to (``x-q2c-conformance``).
    level: str = "core"
    #: The capability that gates the check (named when a claimed one is refused).
    capability: str | None = None


def check(
    id: str,
    title: str,
    *,
    operations: tuple[str, ...] = (),
    needs: tuple[str, ...] = (),
    applies: Applicability | None = None,
    reproduce: Reproduction | None = None,
    provides: tuple[str, ...] = (),
    level: str = "core",
    capability: str | None = None,
) -> Callable[[CheckFn], CheckSpec]:
    def wrap(fn: CheckFn) -> CheckSpec:
        return CheckSpec(id, title, fn, operations, needs, applies, reproduce, provides, level, capability)

    return wrap


async def run_checks(
    specs: list[CheckSpec], ctx: Context, stage: Stage, earlier: list[CheckResult] | None = None
) -> list[CheckResult]:
    """Run ``specs`` in order; ``earlier``: results of a previous stage whose facts ``ctx`` holds."""
    results: list[CheckResult] = []
    by_id: dict[str, CheckResult] = {r.id: r for r in earlier or []}
    providers = {fact: spec.id for spec in specs for fact in spec.provides}
    for spec in specs:
        base = CheckResult(
            spec.id,
            stage,
            spec.title,
            Status.PASSED,
            operations=spec.operations,
            level=spec.level,
            capability=spec.capability,
        )
        reason = spec.applies(ctx.capabilities) if spec.applies else None
        missing = [need for need in spec.needs if need not in ctx.facts]
        if reason is not None:
            base.status = Status.NOT_APPLICABLE
            base.detail = reason
        elif missing:
            _unmet(base, missing, providers, by_id)
        else:
            await _run_one(spec, ctx, base)
        results.append(base)
        by_id[spec.id] = base
    return results


def _unmet(
    base: CheckResult, missing: list[str], providers: dict[str, str], by_id: dict[str, CheckResult]
) -> None:
    """A check whose facts were not established: not applicable when their provider was, else
    failed caused by the provider's root failure (never a cascade of unexplained failures)."""
    sources = [(need, by_id.get(providers.get(need, ""))) for need in missing]
    skipped = [
        (need, src) for need, src in sources if src is not None and src.status is Status.NOT_APPLICABLE
    ]
    if skipped and len(skipped) == len(sources):
        need, src = skipped[0]
        assert src is not None
        base.status = Status.NOT_APPLICABLE
        base.detail = f"needs {need} from {src.id}, which is not applicable: {src.detail}"
        return
    failed = [(need, src) for need, src in sources if src is not None and src.status is Status.FAILED]
    base.status = Status.FAILED
    base.expected = (
        f"the facts {', '.join(missing)} from {', '.join(sorted({providers.get(n, '?') for n in missing}))}"
    )
    if failed:
        need, src = failed[0]
        assert src is not None
        base.caused_by = src.caused_by or src.id
        base.actual = (
            f"not checked: {src.id} failed, so {need} was not established "
            f"(root failure {base.caused_by}: {by_id[base.caused_by].actual if base.caused_by in by_id else src.actual})"
        )
        base.reproduce = src.reproduce
    else:
        # The provider passed yet set no fact, or no check provides it: a harness defect, said so.
        base.actual = f"not checked: nothing established {', '.join(missing)}"


async def _run_one(spec: CheckSpec, ctx: Context, base: CheckResult) -> None:
    sent = len(ctx.client.exchanges)
    try:
        await spec.run(ctx)
    except CheckFailed as failure:
        if failure.exchange is None:
            failure.exchange = _reproduction(spec, ctx, sent)
        _fail(base, failure, ctx.client.token)
        _name_refused_claim(spec, ctx, base, failure.exchange)
    except NotApplicable as reason_found:
        base.status = Status.NOT_APPLICABLE
        base.detail = str(reason_found)
    except Exception as exc:  # a malformed answer must fail the check, not the run
        base.status = Status.FAILED
        base.expected = "an answer the check can read"
        base.actual = f"{type(exc).__name__}: {exc}"
        base.detail = "".join(traceback.format_exception_only(exc)).strip()
        last = _reproduction(spec, ctx, sent)
        if last is not None:
            base.reproduce = curl(last, ctx.client.token)
            base.detail += f"\nlast answer: {last.summary()}"


def _name_refused_claim(spec: CheckSpec, ctx: Context, base: CheckResult, exchange: Exchange | None) -> None:
    """A 422 unsupported_operation on a claimed capability: the failure names the claim."""
    if exchange is None or not refused(exchange):
        return
    if exchange.request_headers.get("Authorization") != f"Bearer {ctx.client.token}":
        return  # a probe without the key (auth.enforced) claims nothing
    operation = exchange.operation_id or f"{exchange.method} {exchange.url}"
    conformance = Conformance.of(ctx.contract)
    # The capability that gates the refused operation names the broken claim; else the check's.
    gates = [g.name for g in conformance.gates if operation in g.operations]
    capability = spec.capability if spec.capability in gates else next(iter(gates), spec.capability)
    if capability is not None:
        claim = f"capabilities.{capability} is {ctx.capabilities.get(capability)!r} (claimed)"
    else:
        claim = f"level {spec.level} is claimed"
    base.actual = f"{claim} but {operation} answered 422 {UNSUPPORTED}: {base.actual}"


def _reproduction(spec: CheckSpec, ctx: Context, sent: int) -> Exchange | None:
    if spec.reproduce is not None:
        found = spec.reproduce(ctx)
        if found is not None:
            return found
    made = ctx.client.exchanges[sent:]
    return made[-1] if made else None


def _fail(result: CheckResult, failure: CheckFailed, token: str) -> None:
    result.status = Status.FAILED
    result.expected = failure.expected
    result.actual = failure.actual
    result.detail = failure.detail
    if failure.exchange is not None:
        result.reproduce = curl(failure.exchange, token)
        failing = failure.exchange.operation_id
        if failing is not None:  # the failure card names the operation that failed first
            result.operations = (failing, *(op for op in result.operations if op != failing))


# -- expectations ---------------------------------------------------------------------------------


def body_json(exchange: Exchange) -> Any:
    try:
        return json.loads(exchange.response_body)
    except ValueError:
        raise CheckFailed("a JSON body", f"not JSON: {exchange.summary()}", exchange) from None


def conforms(ctx: Context, exchange: Exchange) -> Any:
    """The answer is documented for its operation and matches the schema; returns the body."""
    if exchange.status == 0:
        raise CheckFailed("an HTTP answer", exchange.summary(), exchange)
    operation_id = exchange.operation_id
    if operation_id is None:
        return None
    operation = ctx.contract.operations[operation_id]
    if operation.documents(exchange.status) is None:
        documented = ", ".join(operation.responses)
        raise CheckFailed(
            f"a documented status for {operation_id} ({documented})", exchange.summary(), exchange
        )
    response = ctx.contract.response(operation_id, exchange.status) or {}
    content = response.get("content", {})
    if not content:
        return None
    media = exchange.media_type
    if media not in content:
        raise CheckFailed(
            f"Content-Type {' or '.join(content)} for {operation_id} {exchange.status}",
            f"Content-Type {media or '(none)'}",
            exchange,
        )
    body = body_json(exchange)
    validator = ctx.contract.response_validator(operation_id, exchange.status, media)
    if validator is not None:
        errors = schema_errors(validator, body)
        if errors:
            raise CheckFailed(
                f"a body matching the {operation_id} {exchange.status} schema",
                "; ".join(errors),
                exchange,
            )
    for name, header in response.get("headers", {}).items():
        if ctx.contract.resolve(header).get("required") and exchange.header(name) is None:
            raise CheckFailed(
                f"the {name} header on {operation_id} {exchange.status}", "no such header", exchange
            )
    return body


def expect(ctx: Context, exchange: Exchange, *statuses: int) -> Any:
    """One of ``statuses``, documented and schema-valid; returns the parsed body (or None)."""
    if exchange.status not in statuses:
        wanted = " or ".join(str(s) for s in statuses)
        raise CheckFailed(f"status {wanted}", exchange.summary(), exchange)
    return conforms(ctx, exchange)


def parse_as(model: type[M], body: Any, exchange: Exchange | None = None) -> M:
    """A body as the contract's generated model (``contracts.generated.billing_models``)."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        found = exc.errors()[0]
        where = ".".join(str(part) for part in found["loc"]) or "body"
        raise CheckFailed(f"a contract {model.__name__}", f"{where}: {found['msg']}", exchange) from None


def expect_as(ctx: Context, exchange: Exchange, model: type[M], *statuses: int) -> M:
    """``expect``, then the body as the contract's model, so checks read typed fields."""
    return parse_as(model, expect(ctx, exchange, *statuses), exchange)


def expect_problem(ctx: Context, exchange: Exchange, status: int, codes: set[str] | str) -> dict[str, Any]:
    """An RFC 9457 problem with the given status and one of the given codes."""
    wanted = {codes} if isinstance(codes, str) else codes
    shown = " or ".join(sorted(wanted))
    if exchange.status != status:
        raise CheckFailed(f"{status} problem+json with code {shown}", exchange.summary(), exchange)
    if exchange.media_type != "application/problem+json":
        raise CheckFailed(
            "Content-Type application/problem+json",
            f"Content-Type {exchange.media_type or '(none)'}",
            exchange,
        )
    body = conforms(ctx, exchange)
    if not isinstance(body, dict):
        body = body_json(exchange)
    if not isinstance(body, dict) or body.get("code") not in wanted:
        code = body.get("code") if isinstance(body, dict) else None
        raise CheckFailed(f"code {shown}", f"code {code!r}: {exchange.text()}", exchange)
    if body.get("status") != status:
        raise CheckFailed(f"problem status {status}", f"status {body.get('status')!r}", exchange)
    return body


def require(condition: bool, expected: str, actual: str, exchange: Exchange | None = None) -> None:
    if not condition:
        raise CheckFailed(expected, actual, exchange)
