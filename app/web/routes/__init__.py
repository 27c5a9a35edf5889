"""The routes: each module parses requests, calls a core and shapes the responses; none compresses
anything itself. Part of `app.web`, under its rules."""
