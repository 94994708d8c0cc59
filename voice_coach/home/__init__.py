"""Home Assistant: the coach as an MQTT-discovered device (buttons, sensors, a routine select).

Pure parts (topics, discovery payloads, state payloads, parsing what arrives) are plain
functions; ``link`` is the one place that talks to the broker (paho-mqtt, client only), and
``bridge`` joins the two to the Daemon: commands from Home Assistant are posted like spoken
ones, the coach's state is published when it changes.
"""
