"""The device simulator: realistic readings for the seeded device types (`signals`), sent over MQTT or HTTP
(`senders`) by `bohai simulate`, and the fleet of simulated devices it owns (`fleet`)."""
