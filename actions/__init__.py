"""Aisle's custom actions, served by rasa-sdk: ``python -m rasa_sdk --actions actions``.

One module per feature: ``orders`` (verification and order status), ``search``
(catalog search) and ``handoff`` (escalation to a person). ``resources`` holds
the long-lived objects (order source, catalog index) they share.
"""

from aisle.pii import redact_logs

redact_logs()  # rasa-sdk has set up logging by the time it imports the actions
