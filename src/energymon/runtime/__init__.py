"""The process: `serve` under uvicorn, signals, gc and malloc tuning, systemd notify and the
watchdog, and the data directory it holds and may write."""
