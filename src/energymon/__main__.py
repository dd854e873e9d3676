"""`python -m energymon` runs the command-line interface."""

from energymon.cli import main

raise SystemExit(main())
