"""Lifetime energy split into live and imported: the live part never goes back."""

from __future__ import annotations

from energymon.storage.tiers import LiveEnergy


def test_live_energy_is_the_total_less_what_imports_added() -> None:
    """Live = total − imported, per appliance; an appliance with only history has 0 live."""
    split = LiveEnergy().split({1: 12.5, 2: 4.0}, {1: 10.0, 2: 4.0})
    assert split.live_wh == {1: 2.5, 2: 0.0}
    assert split.imported_wh == {1: 10.0, 2: 4.0}


def test_live_energy_holds_its_highest_value_when_the_difference_dips() -> None:
    """Sums added in another order can dip by an ulp after an import: the counter holds."""
    live = LiveEnergy()
    assert live.split({1: 0.3}, {}).live_wh == {1: 0.3}
    assert live.split({1: 0.3 + 5.0}, {1: 5.0}).live_wh == {1: 0.3}  # not 0.2999999999999998
    assert live.split({1: 6.0}, {1: 5.0}).live_wh == {1: 1.0}
    live.forget(1)
    assert live.split({1: 0.0}, {}).live_wh == {1: 0.0}
