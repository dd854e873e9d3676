"""MQTT: Home Assistant discovery, appliance states and the readings stream, via paho-mqtt.

`mqtt.settings` is imported by the settings tree and must stay light: nothing here imports
paho at package import time. The composition root (`bootstrap.mqtt`) builds the publisher.
"""
