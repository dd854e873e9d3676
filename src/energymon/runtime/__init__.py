"""Process concerns: what one running energymon holds (its data directory) and may write."""
