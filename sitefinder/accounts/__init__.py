"""Accounts, roles with a scope, sessions, and the provinces' flags on sites with their audit trail.

* ``roles``: the roles (eigenaar, gemeente, provincie, coordinator, beheerder; "public" is not
  being logged in), their scopes, and ``Viewer``: who asks, with what grants.
* ``passwords``: Argon2id hashes (argon2-cffi) and the minimum strength of a new password.
* ``users``, ``sessions``: accounts and grants; login with rate limits, cookie sessions with a
  CSRF token each (only hashes of the tokens are stored).
* ``oidc``: optional single sign-on (OpenID Connect through Authlib).
* ``workflow``: the flag statuses and the transitions between them.
* ``scope``: THE scope filter, the one place that decides which flags and audit entries a viewer
  may see; every read of ``site_flag`` / ``flag_audit`` goes through it.
* ``flags``: setting flags (one site, or in bulk) and every read of flags, through the filter.
* ``parkfacts``: what the data says about a site for conversion (area, pitches, zoning, ...).

Writes go through the connection the API's ``AccountsConn`` gives (``write_database_url``).
"""
