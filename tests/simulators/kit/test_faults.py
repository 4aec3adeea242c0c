import pytest
from pydantic import ValidationError

from simulators.kit.faults import (
    FaultRuleSpec,
    Faults,
    LatencyEffect,
    RequestFacts,
    ResetEffect,
    StatusEffect,
    parse_sequence,
)

GET_QUERY = RequestFacts("GET", "/services/data/v59.0/query", "query", "org1")


def outcomes(faults: Faults, facts: RequestFacts, n: int, header: str | None = None) -> list[str]:
    seen = []
    for _ in range(n):
        effect = faults.decide(facts, header)
        seen.append("ok" if effect is None else str(getattr(effect, "status", effect.type)))
    return seen


def test_sequence_rule_500_500_ok_is_deterministic() -> None:
    for _ in range(3):  # same result on every fresh instance, whatever the seed
        faults = Faults(seed=99)
        faults.add(FaultRuleSpec(path="/services/data/*/query", sequence=["500", "500", "ok"]))
        assert outcomes(faults, GET_QUERY, 5) == ["500", "500", "ok", "ok", "ok"]


def test_header_sequence_is_walked_per_header_value() -> None:
    faults = Faults()
    assert outcomes(faults, GET_QUERY, 4, header="500,500,ok") == ["500", "500", "ok", "ok"]
    # A different script (another test, another client) has its own position.
    assert outcomes(faults, GET_QUERY, 2, header=["503,ok", "key=b"][0]) == ["503", "ok"]


def test_header_with_unknown_step_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault step 'boom'"):
        Faults().decide(GET_QUERY, "500,boom")


def test_probability_rules_are_reproducible_from_the_seed() -> None:
    def run(seed: int) -> list[str]:
        faults = Faults(seed=seed)
        faults.add(FaultRuleSpec(effect=StatusEffect(status=503), probability=0.3))
        return outcomes(faults, GET_QUERY, 40)

    first = run(7)
    assert first == run(7)
    assert first != run(8)
    assert 3 <= first.count("503") <= 25


def test_rules_match_method_path_operation_and_caller() -> None:
    faults = Faults()
    faults.add(
        FaultRuleSpec(method="post", operation="create", caller="org1", effect=StatusEffect(status=400))
    )
    assert faults.decide(GET_QUERY) is None
    post = RequestFacts("POST", "/x", "create", "org1")
    assert isinstance(faults.decide(post), StatusEffect)
    assert faults.decide(RequestFacts("POST", "/x", "create", "org2")) is None


def test_times_limits_how_often_a_rule_fires() -> None:
    faults = Faults()
    rule = faults.add(FaultRuleSpec(effect=ResetEffect(), times=2))
    assert outcomes(faults, GET_QUERY, 4) == ["connection_reset", "connection_reset", "ok", "ok"]
    assert rule.fired == 2


def test_latency_lognormal_is_seeded_and_capped() -> None:
    effect = LatencyEffect(median_ms=100, sigma=0.5)
    a = [Faults(seed=1).latency_seconds(effect) for _ in range(3)]
    assert a[0] == a[1] == a[2]
    assert 0 < a[0] < 30
    assert Faults().latency_seconds(LatencyEffect(fixed_ms=250)) == 0.25


def test_rule_spec_validation() -> None:
    with pytest.raises(ValidationError, match="exactly one of 'effect' or 'sequence'"):
        FaultRuleSpec()
    with pytest.raises(ValidationError, match="unknown fault step"):
        FaultRuleSpec(sequence=["oops"])
    with pytest.raises(ValidationError, match="exactly one of fixed_ms or median_ms"):
        LatencyEffect()
    with pytest.raises(ValidationError, match="cannot be null"):
        FaultRuleSpec.model_validate({"effect": None, "sequence": ["ok"]})
    with pytest.raises(ValidationError, match="cannot be null"):
        FaultRuleSpec.model_validate({"method": None, "sequence": ["ok"]})
    with pytest.raises(ValidationError, match=r"union_tag_invalid|does not match any of the expected tags"):
        FaultRuleSpec.model_validate({"effect": {"type": "explode"}})


def test_parse_sequence() -> None:
    assert parse_sequence(" 500, reset ,latency:20, OK") == ["500", "reset", "latency:20", "ok"]
    with pytest.raises(ValueError, match="at least one step"):
        parse_sequence(" , ")
