"""Aisle's custom actions, served by rasa-sdk: ``python -m rasa_sdk --actions actions``.

One module per feature: ``orders`` (verification and order status), ``search``
(catalog search) and ``handoff`` (escalation to a person). ``resources`` holds
the long-lived objects (order source, catalog index) they share.
"""
