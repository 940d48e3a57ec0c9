"""All reference data of the platform, loaded by ``zhijian load-reference`` and the tests."""


def load_all() -> dict[str, int]:
    from django.db import transaction

    from zhijian.credit.reference import load_all as load_credit
    from zhijian.deadlines.reference import load_time_limits
    from zhijian.enforcement.reference import load_all as load_enforcement
    from zhijian.registry.reference import load_all as load_registry
    from zhijian.risk.reference import load_all as load_risk
    from zhijian.spotcheck.reference import load_pass_rate_targets
    from zhijian.targets.reference import load_all as load_targets

    with transaction.atomic():
        counts = load_registry()
        counts["time limits"] = load_time_limits()
        counts["pass-rate targets"] = load_pass_rate_targets()
        counts.update(load_credit())
        counts.update(load_risk())
        counts.update(load_enforcement())
        counts.update(load_targets())
    return counts
