"""The API's routes, one router per area: meta (health, config), sites, score, layers.

Each module declares its ``router`` with its own routes; ``sitefinder.api.create_app`` only
includes them.
"""
