"""Site check: a whole site in, a serving plan and the precompressed files out (issue 18).

Holds reading an uploaded site safely (archive_reader, site_files, site_input; local_site for
a folder on disk), naming each file's media type (media_types), measuring and choosing each
file's encodings within one time budget (candidates, measurement, scheduler, plan), the zip of
variants ready for static serving (precompressed_tree), the plan as JSON (report_json) and
`python -m app site` (cli). Errors are values: every refusal is a SiteCheckError (errors)
carrying the HTTP status, the problem type and the limit that applied, which the web layer
renders as problem+json.

May import app.engine, app.compression and app.config; nothing web (no fastapi, starlette,
mangum or multipart): import-linter's `pure-cores` and `layers` contracts hold it to that.
"""
