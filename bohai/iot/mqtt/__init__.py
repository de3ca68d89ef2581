"""MQTT for the IoT platform: Bohai's mosquitto (config, password and ACL files kept in sync with the registry)
and the ingestion worker that hands device messages to `bohai.iot.ingestion` and acknowledges them after commit.
"""
