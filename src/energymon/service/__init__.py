"""The service layer: samplers per bus, the storage writer, and the Monitor facade."""
