"""Aisle's custom actions, served by rasa-sdk: ``python -m rasa_sdk --actions actions``.

One module per feature: ``orders`` (verification and order status),
``refunds``, ``returns`` (the return form; ``return_matching`` reads the
shopper's answers), ``order_changes`` (cancel, change address), ``policies``
(return policy answers), ``search`` (catalog search), ``handoff``
(escalation to a person), ``escalation`` (when to hand over unasked; reads
``escalation.yml``) and ``complaints`` (repeated complaints). ``form_turns``
is what the forms share; ``resources`` holds the long-lived objects (order source, catalog index).
"""

from aisle.pii import redact_logs

redact_logs()  # rasa-sdk has set up logging by the time it imports the actions
