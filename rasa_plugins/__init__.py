"""Aisle's extensions of the Rasa server (Python 3.10), named by module path in the endpoints
file, the way Rasa loads custom stores. ``rasa_sdk_plugins`` is the action server's
counterpart."""
