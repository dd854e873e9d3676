"""Pure domain logic: readings, energy integration, calibration, daily statistics. No I/O."""
