"""The optional REST endpoint (FastAPI), served by ``batteryos serve`` or from a
background thread of the window (the Sharing panel).

- :func:`app.api.app.create_app` builds the application for one database and,
  optionally, a :class:`~app.api.live.LiveFeed` of a running source.
- :class:`app.api.server.ApiServer` runs it with uvicorn in a thread.

Auth: every ``/api`` and ``/battery`` route wants an ``X-API-Key`` header
(``batteryos users new-key NAME``); viewers read, engineers and admins write,
admins manage users. FastAPI is imported only when the endpoint starts.
"""
