"""P9: a day's stored energy against the analytic energy of the simulated loads.

Three simulated INA219s on one FakeBus, with the default settings (20 Hz oversampling, readings
every second, flush every 10 s): the `step` profile (0.5, 2 and 1 A levels changing every 20 s)
and the `pulsed` one (2 A half of each 2.5 s cycle), and the `battery` (charged at 2 A for 20
minutes, discharged at 1.5 A for 10), whose energy in and out are compared apart. The real
sampler runs its deadline loop on a JumpClock over a simulated UTC day; the writer flushes into
SQLite every 10 simulated seconds. The energy of the day's stored readings is compared with the
closed-form, noise-free energy of the profile (`profiles.analytic_energy_wh`, and
`Load.energy_in_out_wh` for in and out) over the same span: a reading books the
segment that ends at its samples, so the day's readings cover [midnight − p, midnight + day − p]
for the sample period p.
"""

from __future__ import annotations

from pathlib import Path

from bench.context import Context
from bench.harness import JumpClock, bench_settings
from bench.report import Figure, Target
from energymon.bootstrap import build
from energymon.drivers.profiles import analytic_energy_wh, make_profile

DAY_START = 1_767_225_600.0  # 2026-01-01 00:00 UTC
LOADS = (  # (id, name, profile, address, target error %)
    (1, "Step load", "step", 0x40, 0.5),
    (2, "Pulsed load", "pulsed", 0x41, 1.0),
    (3, "House battery", "battery", 0x44, 0.5),  # charges 20 min, discharges 10: in and out
)
BOTH_WAYS = {"battery"}  # loads whose energy in and out are figures of their own
LEAD_SECONDS = 2.0  # sampling starts before the span and ends after it


Energies = dict[str, tuple[float, float]]  # "net", "in", "out": (stored, analytic) Wh


def stored_and_analytic_wh(data_dir: Path, span_seconds: float) -> dict[int, Energies]:
    """Per load id: the stored energy of the span's readings and the analytic energy, in Wh:
    net, in (positive current) and out (negative)."""
    appliance_list = [
        {
            "id": i,
            "name": name,
            "driver": "simulated",
            "address": address,
            "simulation": {"profile": profile},
        }
        for i, name, profile, address, _ in LOADS
    ]
    settings = bench_settings(data_dir, appliance_list=appliance_list)
    period = settings.sampling.sample_period_seconds
    end = DAY_START + span_seconds + LEAD_SECONDS
    clock = JumpClock(DAY_START - LEAD_SECONDS, stop_at=end)
    monitor = build(settings, clock=clock)
    clock.every(settings.storage.flush_interval_seconds, monitor.runner.writer.flush)
    (sampler,) = monitor.runner.samplers
    sampler.run()
    sampler.stop()  # emits the open windows
    monitor.runner.writer.stop()
    start_ms, end_ms = round(DAY_START * 1000), round((DAY_START + span_seconds) * 1000)
    result = {}
    for appliance_id, name, profile_name, _, _ in LOADS:
        readings = monitor.runner.store.readings_between(
            start_ms, end_ms, appliance_id, max_points=int(span_seconds) + 10
        )
        profile = make_profile({"profile": profile_name}, default_for=name)
        span = (DAY_START - period, DAY_START + span_seconds - period)
        exact_in, exact_out = profile.energy_in_out_wh(*span)
        result[appliance_id] = {
            "net": (sum(r.energy_wh for r in readings), analytic_energy_wh(profile, *span)),
            "in": (sum(r.in_wh for r in readings), exact_in),
            "out": (sum(r.out_wh for r in readings), exact_out),
        }
    monitor.runner.store.close()
    return result


def run(ctx: Context) -> list[Figure]:
    """One simulated day (smoke: an hour)."""
    span = 3_600.0 if ctx.smoke else 86_400.0
    energies = stored_and_analytic_wh(ctx.scratch("p9"), span)
    figures = []
    for appliance_id, _, profile, _, target in LOADS:
        for kind in ("in", "out") if profile in BOTH_WAYS else ("net",):
            stored, exact = energies[appliance_id][kind]
            error = abs(stored - exact) / exact * 100
            note = f"stored {stored:.3f} Wh, analytic {exact:.3f} Wh over {span / 3600:g} h"
            what = f"energy {kind}" if kind != "net" else "energy"
            figures.append(
                Figure(
                    "P9",
                    f"{what} error, {profile} load",
                    error,
                    "%",
                    Target("<=", target, "%"),
                    note,
                )
            )
    return figures
