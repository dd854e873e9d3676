"""The service layer: samplers per bus, the storage writer, and the Monitor's three parts:
runner (start, stop, subscribers), queries (what the API asks) and health."""
