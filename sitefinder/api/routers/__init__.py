"""The API's routes, one router per area: meta (health, config), sites, score, layers, ...

Each module declares its ``router`` with its own routes; ``sitefinder.api.create_app`` names
them in ``AREAS`` (in their order) and ``sitefinder.api.areas`` includes each, the sites at
once, the others when first asked for.
"""
