"""energymon's benchmarks: `python -m bench.run [--smoke] [--only P1,P3]` (see bench/run.py)."""
