"""Site check: a whole site in, a serving plan and the precompressed files out (issue 18).

Holds reading an uploaded site safely (archive_reader, site_files), naming each file's media
type (media_types), measuring and choosing each file's encodings within one time budget
(measurement, plan) and the zip of variants ready for static serving (precompressed_tree).
Errors are values: every refusal is a SiteCheckError (errors) carrying the HTTP status, the
problem type and the limit that applied, which the web layer renders as problem+json.

May import app.engine, app.compression and app.config; nothing web (no fastapi, starlette,
mangum or multipart), so the CLI, the bench and the routes share it unchanged.
"""
