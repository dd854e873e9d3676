"""Lifetime energy split into live and imported: the live part never goes back."""

from __future__ import annotations

from energymon.domain.model import Flow
from energymon.storage.tiers import LiveEnergy


def test_live_energy_is_the_total_less_what_imports_added() -> None:
    """Live = total − imported, per appliance and direction; only history gives 0 live."""
    split = LiveEnergy().split(
        {1: Flow(12.5, 3.0), 2: Flow(4.0, 1.0)}, {1: Flow(10.0, 1.0), 2: Flow(4.0, 1.0)}
    )
    assert split.live_wh == {1: 2.5, 2: 0.0}
    assert split.imported_wh == {1: 10.0, 2: 4.0}
    assert split.live_out_wh == {1: 2.0, 2: 0.0}
    assert split.imported_out_wh == {1: 1.0, 2: 1.0}


def test_live_energy_holds_its_highest_value_when_the_difference_dips() -> None:
    """Sums added in another order can dip by an ulp after an import: each counter holds."""
    live = LiveEnergy()
    assert live.split({1: Flow(0.3, 0.3)}, {}).live_wh == {1: 0.3}
    dipped = live.split({1: Flow(0.3 + 5.0, 0.3 + 5.0)}, {1: Flow(5.0, 5.0)})
    assert (dipped.live_wh, dipped.live_out_wh) == ({1: 0.3}, {1: 0.3})  # not 0.29999999999998
    assert live.split({1: Flow(6.0, 5.5)}, {1: Flow(5.0, 5.0)}).live_out_wh == {1: 0.5}
    live.forget(1)
    assert live.split({1: Flow()}, {}).live_wh == {1: 0.0}
