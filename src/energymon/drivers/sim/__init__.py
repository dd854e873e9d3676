"""Register-level simulated chips (and a simulated hwmon sysfs) for tests and `make run`."""
