"""Aisle's gateway: the shopper widget's websocket, the demo shop and the agent page.

Browser --websocket--> gateway (this package) --HTTP--> Rasa REST channel.
Build the app with ``bot.app.create_app``; run it with ``python -m bot``.
"""
